using System.Device.Gpio;
using Rt.Core.Hardware;

namespace Rt.Drivers.Gpio;

/// <summary>Nanoseconds on an injected <see cref="TimeProvider"/>. Real-time safe (no allocation).</summary>
public static class ClockNs
{
    public static long Now(TimeProvider clock) => ToNs(clock.GetTimestamp(), clock.TimestampFrequency);

    public static long ToNs(long timestamp, long frequency) =>
        frequency == 1_000_000_000 ? timestamp : (long)((Int128)timestamp * 1_000_000_000 / frequency);
}

/// <summary>
/// Debounce by duration on an injected clock: a new level is reported once the raw level has held it for
/// <c>debounceNs</c>. Real-time safe.
/// </summary>
internal struct DurationDebounce(long debounceNs, bool initial)
{
    private bool _level = initial, _candidate = initial;
    private long _since;

    public readonly bool Level => _level;

    public bool Update(bool raw, long nowNs)
    {
        if (raw != _candidate)
        {
            _candidate = raw;
            _since = nowNs;
        }
        if (_candidate != _level && nowNs - _since >= debounceNs) _level = _candidate;
        return _level;
    }
}

/// <summary>A safety input line behind <see cref="GpioController"/>. <see cref="Read"/> is real-time safe in both subclasses.</summary>
public abstract class GpioInput : IDigitalInput, IDisposable
{
    private protected readonly GpioController Controller;
    private protected readonly int Pin;
    private protected readonly bool ActiveLow, LevelOnError;

    private protected GpioInput(GpioController controller, int pin, GpioLineSpec spec, GpioLineOptions o)
    {
        Controller = controller;
        Pin = pin;
        Spec = spec;
        ActiveLow = o.ActiveLow;
        LevelOnError = o.LevelOnError;
    }

    public GpioLineSpec Spec { get; }

    /// <summary>The logical level read once at open; the fail-safe level if the driver cannot be read. Not real-time safe.</summary>
    private protected bool RawAtOpen()
    {
        try { return (Controller.Read(Pin) == PinValue.High) ^ ActiveLow; }
        catch (IOException) { return LevelOnError; }
    }

    /// <summary>True when a dedicated thread reads the driver (see <see cref="PolledGpioInput"/>).</summary>
    public abstract bool IsPolled { get; }

    /// <summary>Real-time safe: the logical level (true = asserted).</summary>
    public abstract bool Read();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing) Controller.Dispose();
    }
}

/// <summary>
/// The tick reads the driver itself: chosen for the character device and libgpiod when a Read measured 0 bytes at open.
/// <see cref="Read"/>: one ioctl (plus a clock read when a software debounce is set). Real-time safe.
/// </summary>
public sealed class DirectGpioInput : GpioInput
{
    private readonly TimeProvider _clock;
    private readonly bool _debounced;
    private DurationDebounce _debounce;

    internal DirectGpioInput(GpioController controller, int pin, GpioLineSpec spec, GpioLineOptions o, TimeSpan softwareDebounce)
        : base(controller, pin, spec, o)
    {
        _clock = o.Clock;
        _debounced = softwareDebounce > TimeSpan.Zero;
        // Seeded with the level at open: a released e-stop must not read "pressed" for the first debounce period.
        _debounce = new DurationDebounce((long)softwareDebounce.TotalNanoseconds, RawAtOpen());
    }

    public override bool IsPolled => false;

    public override bool Read()
    {
        bool raw = (Controller.Read(Pin) == PinValue.High) ^ ActiveLow;
        return _debounced ? _debounce.Update(raw, ClockNs.Now(_clock)) : raw;
    }
}

/// <summary>
/// For drivers whose Read may block or allocate (an I²C expander: one bus transfer, ~100–300 µs at 400 kHz, behind a
/// bus lock): a dedicated thread reads the driver every <see cref="GpioLineOptions.PollPeriod"/>, debounces by duration
/// on the injected clock and publishes level and time stamp in ONE 64-bit word (<c>stamp_ns &lt;&lt; 1 | level</c>), so the
/// tick's <see cref="Read"/> is one volatile load and a clock read: lock-free, allocation-free. Added latency: up to
/// one poll period + the bus transfer + the debounce. A word older than <see cref="GpioLineOptions.StaleAfter"/> (poller
/// stuck or dead) reads as the fail-safe level.
/// </summary>
public sealed class PolledGpioInput : GpioInput
{
    private readonly TimeProvider _clock;
    private readonly long _staleNs, _periodNs;
    private DurationDebounce _debounce;
    private long _word;
    private long _polls, _errors, _staleReads;
    private readonly Thread? _thread;
    private volatile bool _stop;

    internal PolledGpioInput(GpioController controller, int pin, GpioLineSpec spec, GpioLineOptions o, TimeSpan debounce)
        : base(controller, pin, spec, o)
    {
        _clock = o.Clock;
        _staleNs = (long)o.StaleAfter.TotalNanoseconds;
        _periodNs = (long)o.PollPeriod.TotalNanoseconds;
        // Seeded with the level at open (the fail-safe level if the line cannot be read), then a first publish.
        _debounce = new DurationDebounce((long)debounce.TotalNanoseconds, RawAtOpen());
        PollOnce();
        if (o.StartThread)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "rt-gpio-" + o.Consumer, Priority = ThreadPriority.AboveNormal };
            _thread.Start();
        }
    }

    public override bool IsPolled => true;

    public long Polls => Interlocked.Read(ref _polls);
    public long Errors => Interlocked.Read(ref _errors);
    public long StaleReads => Interlocked.Read(ref _staleReads);

    /// <summary>Real-time safe: one volatile load; the fail-safe level when the published word is stale.</summary>
    public override bool Read()
    {
        long w = Volatile.Read(ref _word);
        if (ClockNs.Now(_clock) - (w >> 1) > _staleNs)
        {
            _staleReads++;
            return LevelOnError;
        }
        return (w & 1) != 0;
    }

    /// <summary>One poll (the thread's body; called directly by lockstep tests). Not real-time safe (driver I/O).</summary>
    public void PollOnce()
    {
        bool raw;
        try
        {
            raw = (Controller.Read(Pin) == PinValue.High) ^ ActiveLow;
        }
        catch (IOException)
        {
            Interlocked.Increment(ref _errors);
            raw = LevelOnError;
        }
        long now = ClockNs.Now(_clock);
        bool level = _debounce.Update(raw, now);
        Volatile.Write(ref _word, (now << 1) | (level ? 1L : 0L));
        Interlocked.Increment(ref _polls);
    }

    private void Run()
    {
        while (!_stop)
        {
            PollOnce();
            Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, _periodNs / 100)));
        }
    }

    protected override void Dispose(bool disposing)
    {
        _stop = true;
        _thread?.Join(1000);
        base.Dispose(disposing);
    }
}

/// <summary>An output line (drive enable / STO relay, brake) behind <see cref="GpioController"/>.</summary>
public abstract class GpioOutput : IDigitalOutput, IDisposable
{
    private protected readonly GpioController Controller;
    private protected readonly int Pin;
    private protected readonly bool ActiveLow;

    private protected GpioOutput(GpioController controller, int pin, GpioLineSpec spec, GpioLineOptions o)
    {
        Controller = controller;
        Pin = pin;
        Spec = spec;
        ActiveLow = o.ActiveLow;
    }

    public GpioLineSpec Spec { get; }

    /// <summary>Real-time safe.</summary>
    public abstract void Write(bool value);

    private protected PinValue Physical(bool value) => value ^ ActiveLow ? PinValue.High : PinValue.Low;

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        try { Controller.Write(Pin, Physical(false)); } // leave the enable off
        catch (IOException) { }
        Controller.Dispose();
    }
}

/// <summary>The tick writes the driver itself (character device, libgpiod): one ioctl. Real-time safe.</summary>
public sealed class DirectGpioOutput : GpioOutput
{
    internal DirectGpioOutput(GpioController controller, int pin, GpioLineSpec spec, GpioLineOptions o) : base(controller, pin, spec, o) { }

    public override void Write(bool value) => Controller.Write(Pin, Physical(value));
}

/// <summary>
/// For an expander output: the tick stores the wanted level in a volatile int; a dedicated thread writes it to the
/// chip when it changes (and re-asserts it every poll period). Added latency: up to one poll period + the bus
/// transfer. The enable chain must be wired fail-safe (a dead writer leaves the last level; a dead bus leaves the
/// expander's reset default, which must mean "off"). <see cref="Write"/>: one volatile store, real-time safe.
/// </summary>
public sealed class PolledGpioOutput : GpioOutput
{
    private int _wanted;
    private long _writes, _errors;
    private readonly long _periodNs;
    private readonly Thread? _thread;
    private volatile bool _stop;

    internal PolledGpioOutput(GpioController controller, int pin, GpioLineSpec spec, GpioLineOptions o) : base(controller, pin, spec, o)
    {
        _periodNs = (long)o.PollPeriod.TotalNanoseconds;
        if (o.StartThread)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "rt-gpio-out-" + o.Consumer, Priority = ThreadPriority.AboveNormal };
            _thread.Start();
        }
    }

    public long Writes => Interlocked.Read(ref _writes);
    public long Errors => Interlocked.Read(ref _errors);

    public override void Write(bool value) => Volatile.Write(ref _wanted, value ? 1 : 0);

    /// <summary>One write of the wanted level (the thread's body; called directly by lockstep tests). Not real-time safe.</summary>
    public void FlushOnce()
    {
        try
        {
            Controller.Write(Pin, Physical(Volatile.Read(ref _wanted) != 0));
            Interlocked.Increment(ref _writes);
        }
        catch (IOException)
        {
            Interlocked.Increment(ref _errors);
        }
    }

    private void Run()
    {
        while (!_stop)
        {
            FlushOnce();
            Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, _periodNs / 100)));
        }
    }

    protected override void Dispose(bool disposing)
    {
        _stop = true;
        _thread?.Join(1000);
        base.Dispose(disposing);
    }
}
