using Rt.Core.Hardware;

namespace Rt.Drivers.Gpio;

/// <summary>
/// A hold-to-run button on a local input (a GPIO line through <see cref="GpioLines.OpenInput"/>): while it is pressed,
/// <c>renew</c> is called every <c>renewEvery</c> of the injected clock; when it is let go, <c>released</c> is called
/// once. The line is read on this class's own thread (as the polled GPIO lines are), never on the tick; the callbacks
/// hand requests to the tick through its rings (the manual modes' <c>Submit</c>), and the tick judges the hold deadline
/// on its own clock, so a thread that stalls stops the motion. Never from the network: only a local line feeds it.
/// Not real-time safe (its own thread; <see cref="PollOnce"/> for tests).
/// </summary>
public sealed class HoldToRunInput : IDisposable
{
    private readonly IDigitalInput _input;
    private readonly Action _renew, _released;
    private readonly TimeProvider _clock;
    private readonly long _renewNs, _pollNs;
    private readonly Thread? _thread;
    private volatile bool _stop;
    private bool _pressed;
    private long _lastRenewNs;
    private long _renewals;

    /// <param name="renewEvery">At most a quarter of the hold timeout, so one late renewal does not stop the motion.</param>
    public HoldToRunInput(IDigitalInput input, TimeSpan renewEvery, Action renew, Action released, TimeProvider? clock = null, bool startThread = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(renew);
        ArgumentNullException.ThrowIfNull(released);
        if (renewEvery <= TimeSpan.Zero || renewEvery > TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(renewEvery), renewEvery, "the renewal period must be in (0, 1] s");
        _input = input;
        _renew = renew;
        _released = released;
        _clock = clock ?? TimeProvider.System;
        _renewNs = (long)renewEvery.TotalNanoseconds;
        _pollNs = Math.Max(1_000_000, _renewNs / 4);
        if (startThread)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "rt-hold-input", Priority = ThreadPriority.AboveNormal };
            _thread.Start();
        }
    }

    /// <summary>Whether the button was pressed at the last poll.</summary>
    public bool Pressed => Volatile.Read(ref _pressed);

    /// <summary>Renewals sent so far.</summary>
    public long Renewals => Interlocked.Read(ref _renewals);

    /// <summary>One poll: a press renews at once, a held button every period, a release calls <c>released</c> once.</summary>
    public void PollOnce()
    {
        long now = ClockNs.Now(_clock);
        bool pressed = _input.Read();
        if (pressed && (!_pressed || now - _lastRenewNs >= _renewNs))
        {
            _lastRenewNs = now;
            Interlocked.Increment(ref _renewals);
            _renew();
        }
        else if (!pressed && _pressed)
        {
            _released();
        }
        Volatile.Write(ref _pressed, pressed);
    }

    private void Run()
    {
        while (!_stop)
        {
            PollOnce();
            Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, _pollNs / 100)));
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread?.Join(TimeSpan.FromSeconds(1));
        if (_pressed) _released(); // the button's owner is gone: let go
    }
}
