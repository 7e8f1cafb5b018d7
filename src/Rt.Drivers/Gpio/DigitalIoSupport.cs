using Rt.Core.Hardware;

namespace Rt.Drivers.Gpio;

/// <summary>
/// Software debounce in ticks: the reported level changes only after the raw input has agreed with the new level for
/// <see cref="StableTicks"/> consecutive reads. Call <see cref="Read"/> once per tick. Real-time safe.
/// </summary>
public sealed class DebouncedInput : IDigitalInput
{
    private readonly IDigitalInput _raw;
    private bool _level;
    private int _agree;

    public DebouncedInput(IDigitalInput raw, int stableTicks, bool initial = false)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentOutOfRangeException.ThrowIfLessThan(stableTicks, 1);
        _raw = raw;
        StableTicks = stableTicks;
        _level = initial;
    }

    public int StableTicks { get; }

    /// <summary>Real-time safe.</summary>
    public bool Read()
    {
        bool raw = _raw.Read();
        if (raw == _level)
        {
            _agree = 0;
            return _level;
        }
        if (++_agree >= StableTicks)
        {
            _level = raw;
            _agree = 0;
        }
        return _level;
    }
}

/// <summary>An emulated input line for the bench and tests: the bench sets the level, the tick reads it. Thread-safe.</summary>
public sealed class EmulatedDigitalInput : IDigitalInput
{
    private volatile bool _level;

    public EmulatedDigitalInput(bool initial = false) => _level = initial;

    /// <summary>Not for the tick: sets the level as a switch or button would.</summary>
    public void Set(bool level) => _level = level;

    /// <summary>Real-time safe.</summary>
    public bool Read() => _level;
}

/// <summary>An emulated output line: remembers the level and counts writes. Thread-safe to observe.</summary>
public sealed class EmulatedDigitalOutput : IDigitalOutput
{
    private volatile bool _level;
    private long _writes;

    public bool Level => _level;
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Real-time safe.</summary>
    public void Write(bool value)
    {
        _level = value;
        Interlocked.Increment(ref _writes);
    }
}
