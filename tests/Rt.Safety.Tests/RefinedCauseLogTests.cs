using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety.Tests;

/// <summary>
/// The twin's refined cause (its evidence window, issue 13) is logged as its own record after the trip's, which keeps
/// the trip tick's cause; only for a twin trip whose window it is; and the log file reads it back beside older records.
/// </summary>
public sealed class RefinedCauseLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-refined-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly FaultDiagnosis AtTrip = new(FaultClass.Collision, FaultSite.Link, 1, -1, DetectionTest.Gate);
    private static readonly FaultDiagnosis Refined = new(FaultClass.Actuator, FaultSite.Joint, 1, -1, DetectionTest.Gate);

    /// <summary>A twin trip at <paramref name="tripTick"/>; the window that opened at <paramref name="since"/> closes <paramref name="closeAfter"/> ticks later.</summary>
    private static Rig TripThenRefine(long tripTick, long since, int closeAfter, bool trip = true)
    {
        var rig = new Rig().Operational();
        long first = rig.Tick;
        rig.Condition = s =>
        {
            var d = s.Divergence;
            long t = s.Tick - first;
            if (trip && t == tripTick)
            {
                d.OverThreshold[6] = true;
                d.Diagnosis = AtTrip;
                d.EvidenceChannel = 6;
                d.EvidenceValue = 80;
                d.EvidenceThreshold = 25;
            }
            else d.Diagnosis = default;
            bool closed = t >= since + closeAfter;
            d.RefinedSinceTick = closed ? first + since : -1;
            d.RefinedDiagnosis = closed ? Refined : default;
            d.RefinedEvidenceChannel = closed ? 7 : -1;
            d.RefinedEvidenceValue = closed ? 0.93 : 0;
            d.RefinedEvidenceThreshold = closed ? 0.8 : 0;
        };
        rig.Run(40);
        return rig;
    }

    [Fact]
    public void A_twin_trip_logs_its_refined_cause_once_as_a_record_after_the_trip()
    {
        var rig = TripThenRefine(tripTick: 2, since: 1, closeAfter: 20);
        var trip = Assert.Single(rig.Log, e => e.Trigger == FaultCode.TwinDivergence);
        Assert.Equal(AtTrip, trip.Diagnosis); // the trip keeps the trip tick's cause and evidence
        Assert.Equal(80, trip.Value);
        var refined = Assert.Single(rig.Log, e => e.Trigger == FaultCode.IsolationRefined);
        Assert.True(refined.Id > trip.Id, $"refined #{refined.Id} before the trip #{trip.Id}");
        Assert.Equal(trip.Tick + 19, refined.Tick); // the tick the window closed
        Assert.Equal(Refined, refined.Diagnosis);
        Assert.Equal(7, refined.Channel);
        Assert.Equal(0.93, refined.Value);
        Assert.Equal(0.8, refined.Threshold);
        Assert.Equal(StopCategory.None, refined.Reaction); // never a trigger, never a stop
        Assert.Equal(refined.From, refined.To);
    }

    [Fact]
    public void A_window_without_a_twin_trip_or_closed_before_it_is_not_logged()
    {
        // No trip at all: the twin's refined cause of a blip is not a safety event.
        var quiet = TripThenRefine(tripTick: 2, since: 1, closeAfter: 5, trip: false);
        Assert.DoesNotContain(quiet.Log, e => e.Trigger == FaultCode.IsolationRefined);
        Assert.Equal(SafetyState.Operational, quiet.State);
        // A window that opened after the trip belongs to something later, not to this trip.
        var later = TripThenRefine(tripTick: 2, since: 10, closeAfter: 5);
        Assert.Single(later.Log, e => e.Trigger == FaultCode.TwinDivergence);
        Assert.DoesNotContain(later.Log, e => e.Trigger == FaultCode.IsolationRefined);
    }

    [Fact]
    public void The_log_file_reads_the_refined_record_beside_the_trip()
    {
        var rig = TripThenRefine(tripTick: 2, since: 1, closeAfter: 20);
        string path = Path.Combine(_dir, "s.log");
        using (var w = new SafetyLogWriter(path))
            foreach (var e in rig.Log) w.Append(e, 1);
        var c = SafetyLogReader.Read(path);
        Assert.Empty(c.Damage);
        Assert.Equal(rig.Log, c.Records.Select(r => r.Event));
        var refined = Assert.Single(c.Records, r => r.Event.Trigger == FaultCode.IsolationRefined).Event;
        Assert.Equal(Refined, refined.Diagnosis);
    }
}
