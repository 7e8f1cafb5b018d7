using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

/// <summary>Every row of the state table, driven through the real supervisor with real inputs.</summary>
public sealed class TransitionTableTests
{
    public static TheoryData<int> RowIndices()
    {
        var d = new TheoryData<int>();
        for (int i = 0; i < SafetyTransitions.Rows.Count; i++) d.Add(i);
        return d;
    }

    private static Rig NewRig() => new(c =>
    {
        c.Safety.Triggers["imu_fault"] = new() { Reaction = "cat1", DiscrepancyTicks = 1 };
        c.Safety.Triggers["bus_slave_left_op"] = new() { Reaction = "cat2", DiscrepancyTicks = 1 };
        c.Safety.Triggers["bus_link_down"] = new() { Reaction = "cat0", DiscrepancyTicks = 1 };
    });

    private static void Once(Rig r, Action<TickState> condition)
    {
        r.Condition = condition;
        r.Step();
        r.Condition = null;
    }

    private static void TripCat0(Rig r) => Once(r, s => Rig.AddFault(s, FaultCode.BusLinkDown));
    private static void TripCat1(Rig r) => Once(r, s => Rig.AddFault(s, FaultCode.ImuStale));
    private static void TripCat2(Rig r) => Once(r, s => Rig.AddFault(s, FaultCode.BusSlaveLeftOp));

    private static void DriveFault(TickState s)
    {
        s.Image.Inputs[0].Statusword |= 0x0008;
        s.Image.Inputs[0].ErrorCode = 0x2310;
    }

    private static void ResetEdge(Rig r)
    {
        r.Reset.Set(false);
        r.Step();
        r.Reset.Set(true);
        r.Step();
    }

    private static Rig DriveTo(SafetyState state, SafetyInput next)
    {
        var r = NewRig();
        switch (state)
        {
            case SafetyState.Disabled:
                r.S.MotionRequested = false;
                r.Step();
                break;
            case SafetyState.Enabling:
                r.DrivesBecomeReady = false;
                r.Step();
                break;
            case SafetyState.Operational:
                r.Operational();
                break;
            case SafetyState.Stopping:
                r.Operational();
                if (next == SafetyInput.OperatorStopComplete) r.S.MotionRequested = false;
                if (next == SafetyInput.StopComplete) TripCat1(r);
                else if (next != SafetyInput.OperatorStopComplete) TripCat2(r);
                r.Step(); // the trip's condition ends, so a new one is a new episode
                break;
            case SafetyState.Holding:
                r.Operational();
                TripCat2(r);
                r.RunUntil(x => x.State == SafetyState.Holding);
                break;
            case SafetyState.Stopped:
                r.Operational();
                TripCat1(r);
                r.RunUntil(x => x.State == SafetyState.Stopped);
                break;
            case SafetyState.Faulted:
                r.Operational();
                TripCat0(r);
                break;
            case SafetyState.Resetting when next == SafetyInput.ResetFailed:
                // A drive fault that the drive does not clear: the reset is accepted (the drive needs it to clear)
                // but the fault persists through Resetting.
                r.Operational();
                r.Condition = DriveFault;
                r.Step();
                ResetEdge(r);
                break;
            case SafetyState.Resetting:
                r.Operational();
                TripCat0(r);
                ResetEdge(r);
                break;
        }
        Assert.Equal(state, r.State);
        return r;
    }

    private static void Apply(Rig r, SafetyState from, SafetyInput input)
    {
        switch (input)
        {
            case SafetyInput.EnableRequested: r.S.MotionRequested = true; r.Step(); break;
            case SafetyInput.DrivesReady: r.DrivesBecomeReady = true; r.Step(); r.Step(); break;
            case SafetyInput.DisableRequested: r.S.MotionRequested = false; r.Step(); break;
            case SafetyInput.TripCat0: TripCat0(r); break;
            case SafetyInput.TripCat1: TripCat1(r); break;
            case SafetyInput.TripCat2: TripCat2(r); break;
            case SafetyInput.StopFailed:
                if (from == SafetyState.Holding) Once(r, s => s.Position[0] += 0.1); // SOS window left
                else { r.VelocityOverride = (j, v) => j == 0 ? 4.0 : v; r.Step(); } // ramp ignored
                break;
            case SafetyInput.StopComplete:
            case SafetyInput.HoldReached:
            case SafetyInput.OperatorStopComplete:
                r.RunUntil(x => x.State != SafetyState.Stopping, 2000);
                break;
            case SafetyInput.ResetAccepted: ResetEdge(r); break;
            case SafetyInput.ResetComplete: r.Step(); break;
            case SafetyInput.ResetFailed:
                r.Condition = DriveFault;
                r.RunUntil(x => x.State != SafetyState.Resetting, 2000);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(input));
        }
    }

    [Theory]
    [MemberData(nameof(RowIndices))]
    public void Row_is_taken_by_the_supervisor(int index)
    {
        var row = SafetyTransitions.Rows[index];
        var r = DriveTo(row.From, row.Input);
        int before = r.Log.Count;
        Apply(r, row.From, row.Input);
        Assert.Equal(row.To, r.State);
        Assert.Equal(row.To, r.S.SafetyState);
        bool powered = row.To is SafetyState.Enabling or SafetyState.Operational or SafetyState.Stopping or SafetyState.Holding;
        Assert.Equal(powered ? DrivePowerRequest.Operate : DrivePowerRequest.Off, r.S.PowerRequest);
        Assert.Equal(powered, r.Enable.Level);
        // The transition is in the log with its from/to states.
        Assert.Contains(r.Log.Skip(before), e => e.From == row.From && e.To == row.To);
    }

    [Fact]
    public void Table_has_one_row_per_state_and_input_and_unlisted_pairs_change_nothing()
    {
        var seen = new HashSet<(SafetyState, SafetyInput)>();
        foreach (var row in SafetyTransitions.Rows) Assert.True(seen.Add((row.From, row.Input)), $"duplicate {row}");
        Assert.False(SafetyTransitions.TryFind(SafetyState.Faulted, SafetyInput.EnableRequested, out _));

        // A latched fault ignores the operator's enable: only a reset leaves it.
        var r = DriveTo(SafetyState.Faulted, SafetyInput.None);
        r.S.MotionRequested = false;
        r.Step();
        r.S.MotionRequested = true;
        r.Run(10);
        Assert.Equal(SafetyState.Faulted, r.State);
        Assert.Equal(DrivePowerRequest.Off, r.S.PowerRequest);
    }

    [Fact]
    public void Every_trip_row_latches_and_every_reset_row_starts_from_a_latched_state()
    {
        foreach (var row in SafetyTransitions.Rows)
        {
            if (row.Input is SafetyInput.TripCat0 or SafetyInput.TripCat1 or SafetyInput.TripCat2 or SafetyInput.StopFailed)
                Assert.True(row.Latches, row.ToString());
            if (row.Input == SafetyInput.ResetAccepted) Assert.True(SafetyTransitions.Latched(row.From), row.ToString());
        }
    }
}
