using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety.Tests;

/// <summary>The trip event names the isolated cause (issue 13), with the evidence of the test that fired.</summary>
public sealed class TriggerDiagnosisTests
{
    [Fact]
    public void A_twin_trip_carries_the_twins_diagnosis_and_the_fired_tests_value_and_threshold()
    {
        var rig = new Rig().Operational();
        var diagnosis = new FaultDiagnosis(FaultClass.Sensor, FaultSite.Joint, 1, -1, DetectionTest.Gate);
        rig.Condition = s =>
        {
            var d = s.Divergence;
            d.OverThreshold[5] = true; // the first channel over threshold in layout order…
            d.Detector[5] = 12;
            d.OverThreshold[6] = true; // …is not the cause: the twin isolated channel 6, whose χ² gate fired
            d.Diagnosis = diagnosis;
            d.EvidenceChannel = 6;
            d.EvidenceValue = 80;
            d.EvidenceThreshold = 25;
        };
        rig.Step();
        var trip = Assert.Single(rig.Log, e => e.Trigger == FaultCode.TwinDivergence);
        Assert.Equal(6, trip.Channel);
        Assert.Equal(80, trip.Value);
        Assert.Equal(25, trip.Threshold);
        Assert.Equal(diagnosis, trip.Diagnosis);
    }

    [Fact]
    public void A_gate_trip_the_twin_did_not_isolate_shows_the_gates_value_and_threshold_not_the_cusum_below_its_own()
    {
        var rig = new Rig().Operational();
        rig.Condition = s =>
        {
            var d = s.Divergence;
            d.OverThreshold[5] = true; // the χ² gate fired (score 50 over gate 41.2); its CUSUM (1 of 10) did not
            d.Score[5] = 50;
            d.Gate[5] = 41.2;
            d.Diagnosis = default; // not isolated
            d.EvidenceChannel = -1;
        };
        rig.Step();
        var trip = Assert.Single(rig.Log, e => e.Trigger == FaultCode.TwinDivergence);
        Assert.Equal(5, trip.Channel);
        Assert.Equal(50, trip.Value);
        Assert.Equal(41.2, trip.Threshold);
        Assert.True(trip.Value >= trip.Threshold);
    }

    [Fact]
    public void A_slave_leaving_op_is_the_bus_at_that_slave_and_so_is_a_drive_that_dropped_with_it()
    {
        var rig = new Rig().Operational();
        rig.Condition = s =>
        {
            Rig.AddFault(s, FaultCode.BusSlaveLeftOp, 1);
            s.Image.Inputs[1].Statusword |= 0x0008; // its drive reports a fault in the same tick
        };
        rig.Step();
        var trip = Assert.Single(rig.Log, e => e.From == SafetyState.Operational && e.Reaction != StopCategory.None);
        Assert.Equal(StopCategory.Cat0, trip.Reaction);
        Assert.Equal(new FaultDiagnosis(FaultClass.Bus, FaultSite.Slave, 1, -1, DetectionTest.Report), trip.Diagnosis);
    }

    [Fact]
    public void Limits_name_the_joint()
    {
        var rig = new Rig().Operational();
        rig.Condition = s => s.Position[1] = 2.5;
        rig.Step();
        var trip = Assert.Single(rig.Log, e => e.Trigger == FaultCode.PositionLimit);
        Assert.Equal(new FaultDiagnosis(FaultClass.Limit, FaultSite.Joint, 1, -1, DetectionTest.Limit), trip.Diagnosis);
    }
}
