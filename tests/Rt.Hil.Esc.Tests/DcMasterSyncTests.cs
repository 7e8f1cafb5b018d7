using Rt.Drivers.EtherCat.DistributedClocks;

namespace Rt.Hil.Esc.Tests;

/// <summary>
/// The master's cycle lock in isolation, on a simulated time line (deterministic): a master whose clock runs 50 ppm
/// off the reference and starts at an arbitrary phase ends with its frames at the wanted phase of the reference's cycle.
/// </summary>
public sealed class DcMasterSyncTests
{
    [Theory]
    [InlineData(50.0, 0.37)]
    [InlineData(-80.0, 0.91)]
    [InlineData(0.0, 0.5)]
    public void The_phase_error_converges_to_below_a_microsecond(double masterPpm, double startPhase)
    {
        const long cycle = 1_000_000, shift = 250_000;
        var sync = new DcMasterSync(cycle, shift);
        double masterTime = 0;                                  // master's own clock, ns
        double refOffset = 7_000_000_000 + startPhase * cycle; // reference system time at master time 0
        long lastError = long.MaxValue;
        int below = 0;
        for (int k = 0; k < 5000; k++)
        {
            double refTime = refOffset + masterTime * (1 - masterPpm * 1e-6); // the reference's view of the same instant
            long correction = sync.Update((ulong)refTime);
            Assert.InRange(Math.Abs(correction), 0, sync.MaxCorrectionNs);
            lastError = sync.PhaseErrorNs;
            below = Math.Abs(lastError) < 1000 ? below + 1 : 0;
            masterTime += cycle + correction;
        }
        Assert.True(below > 1000, $"phase error {lastError} ns at the end, below 1 µs for only the last {below} cycles");
    }

    [Fact]
    public void No_reply_leaves_the_loop_alone()
    {
        var sync = new DcMasterSync(1_000_000);
        Assert.Equal(0, sync.Update(0));
        Assert.Equal(0, sync.Cycles);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DcMasterSync(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DcMasterSync(1_000_000, kp: 0.1, ki: 0.2));
    }
}
