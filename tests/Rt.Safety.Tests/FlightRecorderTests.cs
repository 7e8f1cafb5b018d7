using System.Globalization;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

public sealed class FlightRecorderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-flight-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Dump_holds_exactly_the_last_n_seconds_in_order_after_the_ring_wrapped()
    {
        var rig = new Rig { CommandVelocity = 0.3 }; // recorder: 0.2 s at 1 kHz = 200 ticks, ring 1200
        rig.Operational();
        rig.Run(3000); // wraps the ring twice
        rig.Condition = s => Rig.AddFault(s, FaultCode.BusLinkDown);
        rig.Step();
        long trip = rig.Tick - 1;
        Assert.Equal(1, rig.Recorder.DumpRequests);
        string? path = rig.Recorder.TryDump(_dir);
        Assert.NotNull(path);
        Assert.Null(rig.Recorder.TryDump(_dir)); // one dump per request
        var rows = File.ReadAllLines(path!).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(200, rows.Count);
        var ticks = rows.Select(r => long.Parse(r[0], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(Enumerable.Range(0, 200).Select(i => trip - 199 + i), ticks);
        Assert.Equal("Faulted", rows[^1][2]);
        Assert.Equal("Off", rows[^1][3]);
        Assert.Equal("Operational", rows[^2][2]);
        // Measured position of the hip is recorded per tick (the constant 0.3 rad/s motion moves it 0.3 mrad per tick).
        double p1 = double.Parse(rows[^3][6], CultureInfo.InvariantCulture), p2 = double.Parse(rows[^2][6], CultureInfo.InvariantCulture);
        Assert.Equal(0.3e-3, p2 - p1, 9);
    }

    [Fact]
    public void Every_trip_requests_a_dump_including_escalations()
    {
        var rig = new Rig(c => c.Safety.Triggers["collision"] = new() { Reaction = "cat2", DiscrepancyTicks = 1 });
        rig.Operational();
        rig.Condition = s => s.Divergence.ExternalTorque[0] = 30;
        rig.Step();
        rig.Condition = s => Rig.AddFault(s, FaultCode.BusLinkDown);
        rig.Step();
        Assert.Equal(SafetyState.Faulted, rig.State);
        Assert.Equal(2, rig.Recorder.DumpRequests);
    }
}
