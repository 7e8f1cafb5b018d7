namespace Rt.Drivers.EtherCat.DistributedClocks;

/// <summary>
/// Master DC-sync mode, the cycle side: keeps the master's cycle locked to the DC reference clock, so each cyclic frame
/// reaches the slaves at a fixed phase of their SYNC0 (SYNC0 start times are multiples of the cycle, see
/// <see cref="DcConfigurator"/>). The slave side is the cyclic frame's FRMW of the reference's 0x0910 every cycle
/// (<see cref="ProcessData.CyclicFrame"/>), which lets every other slave's time control loop follow the reference.
/// <para>Each cycle, <see cref="Update"/> takes the reference's system time read by that FRMW, computes the phase error
/// e = (t_ref − shift) mod cycle wrapped to (−cycle/2, cycle/2], and returns the correction to add to the next period:
/// −(k_p·e + k_i·Σe), bounded by <see cref="MaxCorrectionNs"/> (the loop may slew, never jump). The integral learns the
/// rate difference between the master's clock and the reference clock (a few ppm), the proportional part removes the
/// phase error. The same loop as SOEM's ec_sync, in ns.</para>
/// Construction: not real-time safe (validates). <see cref="Update"/>: real-time safe, pure arithmetic.
/// </summary>
public sealed class DcMasterSync
{
    private readonly long _cycle;
    private readonly long _shift;
    private readonly double _kp, _ki;
    private double _integral;

    /// <param name="cycleNs">The bus cycle (= SYNC0 cycle), ns.</param>
    /// <param name="shiftNs">Where in the reference's cycle the frame should pass the reference, ns after SYNC0.</param>
    /// <param name="kp">Proportional gain (per cycle), 0 &lt; k_p ≤ 1.</param>
    /// <param name="ki">Integral gain (per cycle), 0 ≤ k_i &lt; k_p.</param>
    public DcMasterSync(long cycleNs, long shiftNs = 0, double kp = 0.1, double ki = 0.005)
    {
        if (cycleNs <= 0) throw new ArgumentOutOfRangeException(nameof(cycleNs), cycleNs, "the cycle must be positive");
        if (!(kp > 0 && kp <= 1)) throw new ArgumentOutOfRangeException(nameof(kp), kp, "expected 0 < kp ≤ 1");
        if (!(ki >= 0 && ki < kp)) throw new ArgumentOutOfRangeException(nameof(ki), ki, "expected 0 ≤ ki < kp");
        _cycle = cycleNs;
        _shift = ((shiftNs % cycleNs) + cycleNs) % cycleNs;
        _kp = kp;
        _ki = ki;
        MaxCorrectionNs = cycleNs / 10;
    }

    /// <summary>The most one period is lengthened or shortened, ns (a tenth of the cycle).</summary>
    public long MaxCorrectionNs { get; }

    /// <summary>The last phase error, ns (positive: the frame passed the reference later than wanted).</summary>
    public long PhaseErrorNs { get; private set; }

    /// <summary>Cycles seen since construction or <see cref="Reset"/>.</summary>
    public long Cycles { get; private set; }

    /// <summary>Forget the integral (e.g. after lost frames or a new DC configuration). Real-time safe.</summary>
    public void Reset()
    {
        _integral = 0;
        PhaseErrorNs = 0;
        Cycles = 0;
    }

    /// <summary>
    /// Real-time safe. <paramref name="referenceTimeNs"/>: the reference clock's system time from this cycle's FRMW
    /// (0 = no reply: returns 0 and leaves the loop as it was). Returns the ns to add to the next period.
    /// </summary>
    public long Update(ulong referenceTimeNs)
    {
        if (referenceTimeNs == 0) return 0;
        long phase = (long)((referenceTimeNs + (ulong)(_cycle - _shift)) % (ulong)_cycle);
        if (phase > _cycle / 2) phase -= _cycle;
        PhaseErrorNs = phase;
        Cycles++;
        double next = _integral + phase;
        double correction = -(_kp * phase + _ki * next);
        // Anti-windup: the integral only grows while the output is not saturated.
        if (Math.Abs(correction) < MaxCorrectionNs) _integral = next;
        return (long)Math.Clamp(Math.Round(correction), -MaxCorrectionNs, MaxCorrectionNs);
    }
}
