using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

/// <summary>The tick path allocates nothing: measured with the thread's allocation counter around many calls.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Evaluate_allocates_nothing_operational_stopping_and_tripping()
    {
        var rig = new Rig { Sine = true }.Operational();
        var s = rig.S;
        var sup = rig.Sup;
        // Warm up every path (trip, stop, hold, reset, enable) before measuring.
        for (int rep = 0; rep < 3; rep++) Cycle(rig);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            s.Tick++;
            sup.Evaluate(s);
        }
        for (int rep = 0; rep < 5; rep++) Cycle(rig);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    // Operational → Cat 2 stop → hold → reset → enable again, and a Cat 0 trip, straight on the supervisor (no rig lists).
    private static void Cycle(Rig rig)
    {
        var s = rig.S;
        var sup = rig.Sup;
        void Tick(Action<TickState>? f = null)
        {
            s.Tick++;
            s.Faults.Clear();
            f?.Invoke(s);
            sup.Evaluate(s);
            while (rig.Events.TryPop(out _)) { }
        }
        Tick(x => x.Faults.Add(Fault.Of(FaultCode.BusSlaveLeftOp, 0, x.Tick)));
        for (int i = 0; i < 200; i++) Tick();
        sup.RequestReset();
        Tick();
        Tick();
        s.MotionRequested = false;
        Tick();
        s.MotionRequested = true;
        for (int i = 0; i < 5; i++) Tick();
        Tick(x => x.Faults.Add(Fault.Of(FaultCode.BusLinkDown, 0, x.Tick)));
        sup.RequestReset();
        Tick();
        Tick();
        s.MotionRequested = false;
        Tick();
        s.MotionRequested = true;
        for (int i = 0; i < 5; i++) Tick();
    }
}
