using R = Rt.Hil.Esc.Esc.EscRegisters;

namespace Rt.Hil.Esc.Esc;

/// <summary>Distributed clocks: the system-time write (drift control) path.</summary>
public sealed partial class EscController
{
    // ---------------------------------------------------------------- DC drift control

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

        uint magnitude = (uint)Math.Min(Math.Abs(diff), 0x7FFF_FFFFL);
        W32(R.DcSystemTimeDifference, diff < 0 ? magnitude | 0x8000_0000u : magnitude);

        // Bounded correction per write (the ESC slews its clock rather than jumping): at most 0.1 % of the local time
        // since the previous write, at least 1 ns; the first write after reset or an offset write only measures.
        long maxStep = _lastSysWriteLocal == long.MinValue ? 0 : Math.Max(1, (_rxPort0Local - _lastSysWriteLocal) / 1000);
        long step = Math.Clamp(diff, -maxStep, maxStep);
        _driftCorrectionNs -= step;
        _lastSysWriteLocal = _rxPort0Local;
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
