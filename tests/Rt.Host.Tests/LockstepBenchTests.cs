using Rt.Core.Config;
using Rt.Core.Tick;
using Rt.Hil.Campaign;
using Rt.Session;
using Rt.TestSupport;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Host.Tests;

/// <summary>The whole host against the MuJoCo bench, in lockstep.</summary>
public sealed class LockstepBenchTests : IDisposable
{
    private readonly TempFolders _temp = new(); // the sessions' state folders, deleted after the test

    private HostSession Session(Action<RtConfig>? tweak = null, int seed = 1)
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        tweak?.Invoke(config);
        string dir = _temp.New("rt-host-test-");
        return BenchSession.Create(config, new SessionOptions
        {
            Bench = true,
            Lockstep = true,
            HashTrace = true,
            Seed = seed,
            StateDirectory = dir,
        });
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Two_lockstep_runs_give_the_identical_trace_hash()
    {
        ulong first, second;
        using (var a = Session()) { a.RunLockstep(3000); first = a.Trace!.Hash; }
        using (var b = Session()) { b.RunLockstep(3000); second = b.Trace!.Hash; }
        Assert.Equal(first, second);
    }

    [Fact]
    public void A_different_seed_gives_a_different_trace()
    {
        // Guards the determinism test: the hash must actually depend on what the bench does.
        ulong first, second;
        using (var a = Session(seed: 1)) { a.RunLockstep(1500); first = a.Trace!.Hash; }
        using (var b = Session(c => c.Motion.Kind = MotionKind.Sine, seed: 1)) { b.RunLockstep(1500); second = b.Trace!.Hash; }
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void The_host_enables_the_drives_and_tracks_the_march_on_the_bench()
    {
        using var s = Session();
        s.RunLockstep(5000);
        Assert.True(s.State.AllDrivesOperational, "every emulated drive reached operation enabled");
        Assert.Equal(SafetyState.Operational, s.State.SafetyState);
        var st = s.Pipeline.Statistics;
        Assert.True(st.TrackingSamples > 3000);
        for (int j = 0; j < st.JointCount; j++)
            Assert.True(st.TrackingMax(j) < 0.1, $"{s.Config.Joints[j].Name}: tracking error {st.TrackingMax(j)} rad");
    }

    [Fact]
    public void A_tick_with_the_bench_allocates_nothing()
    {
        using var s = Session();
        var scheduler = s.CreateLockstep();
        scheduler.Run(2000); // enable, settle, JIT tiering
        long before = GC.GetAllocatedBytesForCurrentThread();
        scheduler.Run(5000, 2000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}
