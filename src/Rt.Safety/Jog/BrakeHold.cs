using Rt.Core.Concurrency;
using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety.Jog;

public enum BrakeCommandKind : byte
{
    /// <summary>Open the brake of one joint (hold-to-run: it closes again when the renewals stop).</summary>
    Release,

    /// <summary>Renew the release (the button is still pressed).</summary>
    Hold,

    /// <summary>Close the brake now.</summary>
    Engage,
}

/// <summary>One operator request, from the local socket's (or the hold input's) thread to the tick.</summary>
public readonly record struct BrakeRequest(long Seq, BrakeCommandKind Kind, JogSource Source, short Joint);

/// <summary>What the tick last did with the brake requests: read by the socket thread to answer.</summary>
public readonly record struct BrakeStatus(long CommandSeq, BrakeEventKind LastEvent, short Joint, bool Released, double PositionRad, long Tick);

/// <summary>
/// A brake released by hand, hold-to-run (issue 15): a request opens one joint's brake through
/// <see cref="BrakeCommands"/> (local source only; only while the supervisor is Disabled, the joint's drive is not in
/// "operation enabled" and no manual motion runs); the release lasts while it is renewed within the hold timeout on the
/// tick's clock, and the brake is engaged again in the first tick past it, or as soon as the supervisor leaves Disabled
/// or the drive enables: a joint is never left unbraked by a silent client. Every command, refusal and re-engagement is
/// a <c>ManualBrake</c> event in the safety log. Construction, <see cref="Submit"/>, <see cref="Status"/>: not real-time
/// safe; <see cref="Step"/>: real-time safe.
/// </summary>
public sealed class BrakeHold
{
    private readonly BrakeCommands _commands;
    private readonly IBrakeOutputs _outputs;
    private readonly SafetySupervisor _supervisor;
    private readonly SpscRing<BrakeEvent> _events = new(64);
    private readonly SpscRing<BrakeRequest> _requests = new(16);
    private readonly object _submitLock = new();
    private readonly long _holdTimeoutNs;
    private readonly long[] _lastHold;
    private readonly JogSource[] _source;
    private long _submitSeq, _handledSeq;
    private BrakeEventKind _lastEvent;
    private short _joint = -1;
    private readonly SeqLockSlot<BrakeStatus> _status = new(); // tick writes, socket threads read

    /// <summary>Not real-time safe.</summary>
    public BrakeHold(IBrakeOutputs outputs, SafetySupervisor supervisor, TimeSpan holdTimeout)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(supervisor);
        if (holdTimeout <= TimeSpan.Zero || holdTimeout > TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(holdTimeout), holdTimeout, "the brake's hold timeout must be in (0, 1] s");
        _outputs = outputs;
        _supervisor = supervisor;
        _commands = new BrakeCommands(outputs, _events);
        _holdTimeoutNs = (long)holdTimeout.TotalNanoseconds;
        HoldTimeout = holdTimeout;
        _lastHold = new long[outputs.Joints];
        _source = new JogSource[outputs.Joints];
    }

    public TimeSpan HoldTimeout { get; }

    /// <summary>Thread-safe. The sequence number of the last request submitted (0 before any).</summary>
    public long SubmittedSeq => Volatile.Read(ref _submitSeq);

    /// <summary>Thread-safe. Whether <paramref name="joint"/> has a brake this host can release.</summary>
    public bool CanRelease(int joint) => _outputs.CanRelease(joint);

    /// <summary>Not real-time safe. Queues a request; its sequence number, or -1 when the queue is full (refused).</summary>
    public long Submit(BrakeCommandKind kind, JogSource source, int joint)
    {
        lock (_submitLock)
        {
            long seq = _submitSeq + 1;
            if (!_requests.TryPush(new BrakeRequest(seq, kind, source, (short)joint))) return -1;
            _submitSeq = seq;
            return seq;
        }
    }

    /// <summary>Thread-safe. What the tick did last (a seqlock: no lock on the tick).</summary>
    public BrakeStatus Status
        => _status.Read();

    /// <summary>
    /// Real-time safe; the tick thread, after the supervisor's decision. <paramref name="manualMotion"/>: a jog or homing
    /// powers (or is about to power) the drives.
    /// </summary>
    public void Step(TickState s, SafetyState state, bool manualMotion)
    {
        long now = s.TimeNs;
        while (_requests.TryPop(out var r))
        {
            _handledSeq = r.Seq;
            _joint = r.Joint;
            int j = r.Joint;
            switch (r.Kind)
            {
                case BrakeCommandKind.Release:
                    bool mayOpen = state == SafetyState.Disabled && !manualMotion && (uint)j < (uint)s.JointCount && !s.DriveOperational[j];
                    if (_commands.Release(r.Source, j, mayOpen, now))
                    {
                        _lastHold[j] = now;
                        _source[j] = r.Source;
                    }
                    break;
                case BrakeCommandKind.Hold:
                    if ((uint)j < (uint)_lastHold.Length && r.Source != JogSource.Network && _outputs.IsReleased(j)) _lastHold[j] = now;
                    break;
                case BrakeCommandKind.Engage:
                    _commands.Engage(r.Source, j, now);
                    break;
            }
        }
        for (int j = 0; j < _lastHold.Length; j++)
        {
            if (!_outputs.IsReleased(j)) continue;
            // Hold-to-run: re-engaged in the first tick past the deadline, or at once when the robot may move.
            if (now - _lastHold[j] > _holdTimeoutNs || state != SafetyState.Disabled || manualMotion || (j < s.JointCount && s.DriveOperational[j]))
                _commands.Engage(_source[j], j, now);
        }
        _outputs.Heartbeat();
        while (_events.TryPop(out var e))
        {
            _lastEvent = e.Kind;
            double q = e.Joint >= 0 && e.Joint < s.JointCount ? s.Position[e.Joint] : 0;
            _supervisor.LogManual(FaultCode.ManualBrake, e.Joint, ManualEventCode.Encode((byte)e.Kind, e.Source, 0), q);
        }
        short jj = _joint;
        bool released = jj >= 0 && jj < _lastHold.Length && _outputs.IsReleased(jj);
        double pos = jj >= 0 && jj < s.JointCount ? s.Position[jj] : 0;
        _status.Write(new BrakeStatus(_handledSeq, _lastEvent, jj, released, pos, s.Tick));
    }
}
