using Rt.Core.Hardware;

namespace Rt.Drivers.Gpio;

/// <summary>
/// The brake release outputs of the braked joints (<c>brakes[i].release_output</c>): the tick only stores, per joint,
/// whether the brake is to be released (<see cref="Set"/>, one volatile store) and beats a heartbeat
/// (<see cref="Beat"/>); a dedicated non-real-time thread writes the lines (<see cref="FlushOnce"/>), so no GPIO I/O
/// ever happens in the tick. Fail-safe, energised = released:
/// <list type="bullet">
/// <item>every line is de-energised at open (the opener leaves outputs off) and on <see cref="Dispose"/>;</item>
/// <item>a line that cannot be written latches <see cref="Faulted"/>: every line is de-energised and stays so until the
/// host restarts;</item>
/// <item>while the heartbeat has not moved for longer than the heartbeat timeout on the injected clock (the tick is
/// stalled or dead) every line is de-energised, whatever the slots say.</item>
/// </list>
/// <see cref="Set"/>, <see cref="IsSet"/>, <see cref="Beat"/>: real-time safe. Everything else: not real-time safe.
/// </summary>
public sealed class BrakeReleaseWriter : IDisposable
{
    private readonly IDigitalOutput?[] _lines;
    private readonly int[] _wanted;
    private readonly bool[] _written;
    private readonly TimeProvider _clock;
    private readonly long _heartbeatTimeoutNs;
    private readonly TimeSpan _period;
    private readonly Thread? _thread;
    private long _beat, _seenBeat, _seenAtNs;
    private long _writes;
    private volatile bool _stop, _faulted, _stale;
    private volatile string? _fault;
    private bool _disposed;

    /// <summary>Longest heartbeat timeout accepted: a dead tick must not leave a brake open for long.</summary>
    public static readonly TimeSpan MaxHeartbeatTimeout = TimeSpan.FromMilliseconds(200);

    /// <param name="lines">One entry per joint: its release output (opened de-energised), or null for a joint without one. Owned: disposed here.</param>
    /// <param name="clock">The host's clock (injected).</param>
    /// <param name="heartbeatTimeout">No beat for longer than this de-energises every line; (0, <see cref="MaxHeartbeatTimeout"/>].</param>
    /// <param name="period">The writer's period.</param>
    /// <param name="startThread">False in lockstep runs: the caller calls <see cref="FlushOnce"/> between ticks.</param>
    public BrakeReleaseWriter(IDigitalOutput?[] lines, TimeProvider clock, TimeSpan heartbeatTimeout, TimeSpan period, bool startThread)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(clock);
        if (heartbeatTimeout <= TimeSpan.Zero || heartbeatTimeout > MaxHeartbeatTimeout)
            throw new ArgumentOutOfRangeException(nameof(heartbeatTimeout), heartbeatTimeout, $"the brake outputs' heartbeat timeout must be in (0, {MaxHeartbeatTimeout.TotalMilliseconds} ms]");
        if (period <= TimeSpan.Zero || period > heartbeatTimeout)
            throw new ArgumentOutOfRangeException(nameof(period), period, "the brake writer's period must be positive and at most the heartbeat timeout");
        _lines = lines;
        _wanted = new int[lines.Length];
        _written = new bool[lines.Length];
        _clock = clock;
        _heartbeatTimeoutNs = (long)heartbeatTimeout.TotalNanoseconds;
        _period = period;
        _seenAtNs = ClockNs.Now(clock);
        HeartbeatTimeout = heartbeatTimeout;
        if (startThread)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "rt-brake-out", Priority = ThreadPriority.AboveNormal };
            _thread.Start();
        }
    }

    public int Joints => _lines.Length;
    public TimeSpan HeartbeatTimeout { get; }

    /// <summary>Whether <paramref name="joint"/> has a release output.</summary>
    public bool HasOutput(int joint) => (uint)joint < (uint)_lines.Length && _lines[joint] != null;

    /// <summary>Real-time safe: the tick's wish for a joint (true = released). Ignored for a joint without an output.</summary>
    public void Set(int joint, bool released)
    {
        if ((uint)joint < (uint)_lines.Length && _lines[joint] != null) Volatile.Write(ref _wanted[joint], released ? 1 : 0);
    }

    /// <summary>Real-time safe: the tick's last wish for a joint.</summary>
    public bool IsSet(int joint) => (uint)joint < (uint)_wanted.Length && Volatile.Read(ref _wanted[joint]) != 0;

    /// <summary>Real-time safe: the tick is alive (once per tick; a single writer, the tick thread).</summary>
    public void Beat() => Volatile.Write(ref _beat, _beat + 1);

    /// <summary>Whether the line of <paramref name="joint"/> was last written energised (released).</summary>
    public bool IsEnergised(int joint) => (uint)joint < (uint)_written.Length && Volatile.Read(ref _written[joint]);

    /// <summary>A line could not be written: every line is de-energised until the host restarts.</summary>
    public bool Faulted => _faulted;

    /// <summary>What faulted, or null.</summary>
    public string? Fault => _fault;

    /// <summary>The heartbeat was lost at the last flush (every line de-energised meanwhile).</summary>
    public bool HeartbeatLost => _stale;

    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>One pass of the writer (the thread's body; called directly by lockstep runs). Not real-time safe.</summary>
    public void FlushOnce()
    {
        long now = ClockNs.Now(_clock);
        long beat = Volatile.Read(ref _beat);
        if (beat != _seenBeat)
        {
            _seenBeat = beat;
            _seenAtNs = now;
        }
        bool stale = now - _seenAtNs > _heartbeatTimeoutNs;
        _stale = stale;
        for (int j = 0; j < _lines.Length; j++)
        {
            var line = _lines[j];
            if (line == null) continue;
            bool want = !_faulted && !stale && Volatile.Read(ref _wanted[j]) != 0;
            // Re-asserted every pass: a line reset behind our back (an expander's power cycle) is corrected within a period.
            if (!Write(line, want, j)) return;
        }
    }

    private bool Write(IDigitalOutput line, bool energised, int joint)
    {
        try
        {
            line.Write(energised);
            Volatile.Write(ref _written[joint], energised);
            Interlocked.Increment(ref _writes);
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            _fault ??= $"brake release output of joint {joint}: {e.Message}";
            _faulted = true;
            EngageAll();
            return false;
        }
    }

    /// <summary>Every line de-energised, best effort (a line that fails is left to its wiring: de-energised on a dead driver).</summary>
    private void EngageAll()
    {
        for (int j = 0; j < _lines.Length; j++)
        {
            if (_lines[j] is not { } line) continue;
            try { line.Write(false); }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException) { }
            Volatile.Write(ref _written[j], false);
        }
    }

    private void Run()
    {
        while (!_stop)
        {
            FlushOnce();
            Thread.Sleep(_period);
        }
    }

    /// <summary>Stops the writer and de-energises every line, then closes them.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop = true;
        _thread?.Join(1000);
        EngageAll();
        foreach (var l in _lines) (l as IDisposable)?.Dispose();
    }
}
