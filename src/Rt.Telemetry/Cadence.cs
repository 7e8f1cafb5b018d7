using Rt.Core.Time;

namespace Rt.Telemetry;

/// <summary>
/// A fixed rate on absolute deadlines of an injected clock: due at start + k·period, k = 1, 2, …, however late each
/// poll comes. "Elapsed since the last send ≥ period" on a poll every ~5 ms sends every second or third poll (63–70 Hz
/// for 100 Hz); a deadline grid keeps the average at the configured rate while the poller wakes at least once per
/// period. A poll more than one period late skips the missed deadlines (the topic samples the newest record; a burst
/// of copies would carry nothing new) and stays on the grid. Real-time safe (arithmetic only); one owner thread.
/// </summary>
internal struct Cadence
{
    private readonly long _periodNs;
    private long _nextNs;

    /// <summary><paramref name="hz"/> ≤ 0: never due.</summary>
    public Cadence(double hz, long startNs)
    {
        _periodNs = hz > 0 ? Math.Max(1, (long)Math.Round(1e9 / hz)) : 0;
        _nextNs = startNs + _periodNs;
    }

    /// <summary>The period, ns (0: off).</summary>
    public readonly long PeriodNs => _periodNs;

    /// <summary>True once per deadline reached at <paramref name="nowNs"/>; moves to the next deadline still ahead.</summary>
    public bool Due(long nowNs)
    {
        if (_periodNs == 0 || nowNs < _nextNs) return false;
        _nextNs += _periodNs;
        if (nowNs >= _nextNs) _nextNs += (nowNs - _nextNs) / _periodNs * _periodNs + _periodNs; // skip, stay on the grid
        return true;
    }

    /// <summary>Ns until the next deadline (≤ 0: due now; long.MaxValue: off), for a poller's wait.</summary>
    public readonly long NsUntilDue(long nowNs) => _periodNs == 0 ? long.MaxValue : _nextNs - nowNs;
}
