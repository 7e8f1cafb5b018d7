using R = Rt.Hil.Esc.Esc.EscRegisters;

namespace Rt.Hil.Esc.Esc;

/// <summary>Distributed clocks: the system-time write (drift control) path.</summary>
public sealed partial class EscController
{
    // ---------------------------------------------------------------- DC drift control
    //
    // The ESC's time control loop (ETG.1000-4 / ESC datasheet section I "Distributed Clocks", modelled, not gate-exact):
    // every write of the reference's system time to 0x0910 (ARMW/FRMW) is compared with the local copy at the frame's
    // arrival, delayed by 0x0928: difference = local copy − (received + delay). The difference is averaged over 2^n
    // writes (0x0934 bits 3:0, "system time difference filter depth") and reported in 0x092C (bits 30:0 magnitude,
    // bit 31 set when the local copy is smaller). The loop then adjusts the local clock's SPEED, never its value: a
    // proportional part plus an integral part that learns the clock's drift (reported as the speed counter difference
    // 0x0932), the speed change bounded by 1 / speed counter start (0x0930 bits 14:0; 0x1000 → ±244 ppm), as the real
    // ESC adds or drops at most one ns per speed-counter period. Gains scale with the filter depth and the write
    // interval (mean), so the loop behaves the same per write at any cycle time. Writing 0x0920 (offset) or 0x0930 restarts
    // the loop and clears 0x092C/0x0932.

    /// <summary>Clock correction at local time <paramref name="local"/>: the base at the last re-base plus the speed since. Real-time safe.</summary>
    private long Correction(long local) => _driftCorrectionNs + (long)Math.Round(_rate * (local - _correctionLocal));

    private void RestartDriftControl()
    {
        _driftCorrectionNs = 0;
        _correctionLocal = 0;
        _rate = 0;
        _rateIntegral = 0;
        _filteredDiff = 0;
        _filterPrimed = false;
        _writeIntervalAvg = 0;
        _lastSysWriteLocal = long.MinValue;
        W32(R.DcSystemTimeDifference, 0);
        W16(R.DcSpeedCounterDiff, 0);
    }

    private void ApplySystemTimeWrite()
    {
        // The written value is the reference clock's system time when the frame passed it; it reached us 'delay' later.
        long own = _sysTimeAtArrival;
        long delay = U32(R.DcSystemTimeDelay);
        long diff;
        if ((_sysTimeWriteMask & 0xF0) == 0)
        {
            uint received = (uint)_sysTimeWritten + (uint)delay;
            diff = (int)((uint)own - received);
        }
        else
        {
            ulong full = _sysTimeWritten;
            if ((_sysTimeWriteMask & 0x0F) == 0) full |= (ulong)own & 0xFFFF_FFFFUL;
            diff = own - (long)(full + (ulong)delay);
        }

        int depth = _mem[R.DcFilterDepth] & 0x0F;
        if (!_filterPrimed)
        {
            _filteredDiff = diff;
            _filterPrimed = true;
        }
        else _filteredDiff += (diff - _filteredDiff) / (1 << depth);
        double mean = Math.Round(_filteredDiff);
        uint magnitude = (uint)Math.Min(Math.Abs(mean), 0x7FFF_FFFF);
        W32(R.DcSystemTimeDifference, mean < 0 ? magnitude | 0x8000_0000u : magnitude);

        long now = _rxPort0Local;
        long dt = _lastSysWriteLocal == long.MinValue ? 0 : now - _lastSysWriteLocal;
        if (dt > 0)
        {
            _driftCorrectionNs = Correction(now); // re-base: the speed so far is folded into the correction
            _correctionLocal = now;
            int speedStart = Math.Max(1, U16(R.DcSpeedCounterStart) & 0x7FFF);
            double rateMax = 1.0 / speedStart;
            // The loop's time constants follow the mean write interval (not the last one: a master's cycles jitter,
            // and a gain set by one short interval but applied over the next long one would inject error).
            _writeIntervalAvg = _writeIntervalAvg <= 0 ? dt : _writeIntervalAvg + (dt - _writeIntervalAvg) / 16;
            double proportionalNs = 4.0 * (1 << depth) * _writeIntervalAvg; // loop time constant: 4 filter lengths
            double integralNs = 4 * proportionalNs;           // integral zero a quarter of the crossover: ~60° margin
            _rateIntegral = Math.Clamp(_rateIntegral - _filteredDiff * dt / (proportionalNs * integralNs), -rateMax, rateMax);
            _rate = Math.Clamp(-_filteredDiff / proportionalNs + _rateIntegral, -rateMax, rateMax);
            int speedDiff = (int)Math.Clamp(Math.Round(_rateIntegral * speedStart * speedStart), -(speedStart - 1), speedStart - 1);
            W16(R.DcSpeedCounterDiff, unchecked((ushort)(short)speedDiff));
        }
        else if (_lastSysWriteLocal == long.MinValue)
        {
            _driftCorrectionNs = Correction(now);
            _correctionLocal = now;
        }
        _lastSysWriteLocal = now;
    }

    /// <summary>SYNC0 cycle time (0x09A0), ns; 0 = single shot.</summary>
    public uint Sync0CycleNs => U32(R.DcSync0Cycle);

    /// <summary>SYNC0 start time (0x0990) in system time, ns.</summary>
    public long Sync0StartNs => (long)U64(R.DcStartTime);

    /// <summary>
    /// The first SYNC0 pulse at or after <paramref name="systemTimeNs"/> (system time), if SYNC0 is activated.
    /// The bench uses it to step a device on the emulated SYNC0 instead of on frame arrival. Real-time safe.
    /// </summary>
    public bool TryGetNextSync0(long systemTimeNs, out long pulseSystemTimeNs)
    {
        pulseSystemTimeNs = 0;
        if (!Sync0Active) return false;
        long start = Sync0StartNs;
        long cycle = Sync0CycleNs;
        if (systemTimeNs <= start || cycle == 0)
        {
            if (systemTimeNs > start) return false; // single shot already fired
            pulseSystemTimeNs = start;
            return true;
        }

        long n = (systemTimeNs - start + cycle - 1) / cycle;
        pulseSystemTimeNs = start + n * cycle;
        return true;
    }

    /// <summary>Sets SYNC0 status (0x098E bit 0) once the first pulse time has passed; called when a frame arrives.</summary>
    private void UpdateSync0Status()
    {
        if (Sync0Active && _sysTimeAtArrival >= Sync0StartNs) _mem[R.DcSync0Status] |= 0x01;
    }
}
