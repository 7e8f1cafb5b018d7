using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.SubDevices;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Segment;

namespace Rt.Drivers.Tests.EtherCat;

public sealed class FieldbusTests
{
    internal sealed record Bench(EscSegment Segment, LoopbackLink Link, EtherCatMaster Master, OpBus Op, EtherCatFieldbus Fieldbus, TickState State);

    internal static Bench Start(int drives, int imus, bool dc = true)
    {
        var segment = EscBenchSegment.Create(drives, imus);
        var link = new LoopbackLink(segment);
        var options = BringUpTests.FastOptions();
        options.DistributedClocks = dc;
        var master = new EtherCatMaster(link, options);
        var op = master.BringUp(BringUpTests.BenchIdentities(drives, imus), 5_000_000_000, 1_000_000);
        var drivePositions = Enumerable.Range(0, drives).ToList();
        var imuPositions = Enumerable.Range(drives, imus).ToList();
        var fieldbus = new EtherCatFieldbus(op, drivePositions, imuPositions);
        var layout = new ChannelLayout(Enumerable.Range(0, drives).Select(i => $"j{i}").ToList(), Enumerable.Range(0, imus).Select(i => $"imu{i}").ToList());
        var state = new TickState(drives, imus, layout);
        return new Bench(segment, link, master, op, fieldbus, state);
    }

    [Fact]
    public void Outputs_reach_the_drives_and_feedback_and_imu_samples_come_back()
    {
        var b = Start(2, 1);
        var drives = EscBenchSegment.Drives(b.Segment);
        var imu = EscBenchSegment.Imus(b.Segment)[0];
        b.State.Image.Outputs[0] = new() { Controlword = 0x000F, ModeOfOperation = 8, TargetPosition = 123456, TargetVelocity = -5, TargetTorque = 7, VelocityOffset = 99, TorqueOffset = -3 };
        b.State.Image.Outputs[1] = new() { Controlword = 0x0006, ModeOfOperation = 9, TargetPosition = -42 };
        drives[0].Feedback = new() { Statusword = 0x0237, ModeDisplay = 8, PositionActual = 123400, VelocityActual = 17, TorqueActual = -12, ErrorCode = 0 };
        drives[1].Feedback = new() { Statusword = 0x0250, ModeDisplay = 9, PositionActual = -40, ErrorCode = 0x2310 };
        imu.Sample = new() { SpecificForceZ = 9.81f, AngularRateX = 0.5f, TemperatureC = 31.5f, SampleCounter = 77, Status = 2 };

        b.Fieldbus.Exchange(b.State);
        b.Fieldbus.Exchange(b.State);

        Assert.Equal(0, b.State.Faults.Count);
        Assert.Equal(123456, drives[0].Command.TargetPosition);
        Assert.Equal(0x000F, drives[0].Command.Controlword);
        Assert.Equal(-5, drives[0].Command.TargetVelocity);
        Assert.Equal(99, drives[0].Command.VelocityOffset);
        Assert.Equal(-3, drives[0].Command.TorqueOffset);
        Assert.Equal(9, drives[1].Command.ModeOfOperation);
        Assert.Equal(-42, drives[1].Command.TargetPosition);
        var in0 = b.State.Image.Inputs[0];
        Assert.Equal(0x0237, in0.Statusword);
        Assert.Equal(123400, in0.PositionActual);
        Assert.Equal(17, in0.VelocityActual);
        Assert.Equal(-12, in0.TorqueActual);
        Assert.Equal(0x2310, b.State.Image.Inputs[1].ErrorCode);
        Assert.Equal(9.81f, b.State.Image.Imus[0].SpecificForceZ);
        Assert.Equal(0.5f, b.State.Image.Imus[0].AngularRateX);
        Assert.Equal(31.5f, b.State.Image.Imus[0].TemperatureC);
        Assert.Equal(77, b.State.Image.Imus[0].SampleCounter);
        Assert.Equal(2, b.State.Image.Imus[0].Status);
        Assert.Equal(b.Master.Layout!.ExpectedWorkingCounter, b.Fieldbus.Last.LrwWorkingCounter);
        Assert.NotEqual(0UL, b.Fieldbus.ReferenceTimeNs);
    }

    [Fact]
    public void Exchange_allocates_nothing()
    {
        var b = Start(12, 3);
        for (int i = 0; i < 200; i++) b.Fieldbus.Exchange(b.State);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            b.State.Faults.Clear();
            b.State.Image.Outputs[0].TargetPosition = i;
            b.Fieldbus.Exchange(b.State);
        }
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, b.State.Faults.Count);
        Assert.Equal(0, after - before);
    }

    [Fact]
    public void A_lost_frame_is_a_BusFrameLost_fault()
    {
        var b = Start(1, 0);
        b.Link.DropNextReplies = 1;
        b.Fieldbus.Exchange(b.State);
        Assert.True(b.State.Faults.Contains(FaultCode.BusFrameLost));
        b.State.Faults.Clear();
        b.Fieldbus.Exchange(b.State);
        Assert.Equal(0, b.State.Faults.Count);
    }

    [Fact]
    public void A_link_that_goes_down_is_a_BusLinkDown_fault()
    {
        var b = Start(1, 0);
        b.Link.IsUp = false;
        b.Fieldbus.Exchange(b.State);
        Assert.True(b.State.Faults.Contains(FaultCode.BusLinkDown));
    }

    [Fact]
    public void A_segment_that_drops_everything_is_a_lost_frame()
    {
        var b = Start(1, 0);
        b.Segment.LinkDown = true;
        b.Fieldbus.Exchange(b.State);
        Assert.True(b.State.Faults.Contains(FaultCode.BusFrameLost));
    }

    [Fact]
    public void A_slave_that_stops_mapping_is_a_working_counter_fault_with_expected_and_received()
    {
        var b = Start(2, 0);
        // Disable slave 1's outputs FMMU behind the master's back: its LRW write part no longer counts.
        b.Master.Bus.WriteU8(0x1002, 0x0600 + 12, 0);
        b.Fieldbus.Exchange(b.State);
        var f = Assert.Single(b.State.Faults.Items.ToArray(), x => x.Code == FaultCode.BusWorkingCounter);
        Assert.Equal(2 * 2 + 2, f.Expected);
        Assert.Equal(2 * 2 + 2 - 2, f.Received);
    }

    [Fact]
    public void A_slave_leaving_op_is_named_by_position()
    {
        var b = Start(3, 0);
        b.Master.Bus.WriteU16(0x1003, 0x0120, (ushort)AlState.SafeOp);
        var faults = new List<Fault>();
        for (int i = 0; i < 6; i++)
        {
            b.State.Faults.Clear();
            b.Fieldbus.Exchange(b.State);
            faults.AddRange(b.State.Faults.Items.ToArray());
        }
        Assert.Contains(faults, f => f.Code == FaultCode.BusSlaveLeftOp);
        Assert.Equal(2, faults.Last(f => f.Code == FaultCode.BusSlaveLeftOp).Source);
    }

    [Fact]
    public void A_late_reply_from_an_earlier_tick_is_recognised_by_index_and_dropped()
    {
        var b = Start(1, 0);
        b.Link.LateDelivery = true;
        b.Fieldbus.Exchange(b.State); // reply held back: lost this tick
        Assert.True(b.State.Faults.Contains(FaultCode.BusFrameLost));
        b.Link.LateDelivery = false;
        b.State.Faults.Clear();
        b.Fieldbus.Exchange(b.State); // the late reply arrives first and is dropped, then this tick's reply
        Assert.Equal(0, b.State.Faults.Count);
        Assert.Equal(1, b.Fieldbus.StaleFramesDropped);
    }

    [Fact]
    public void Frame_loss_budget_counts_silently_then_raises_and_a_good_cycle_resets_it()
    {
        var b = Start(1, 0);
        var fieldbus = new EtherCatFieldbus(b.Op, [0], [], new FieldbusOptions { FrameLossBudget = 2 });
        b.Link.DropNextReplies = 3;
        var raised = new List<bool>();
        for (int i = 0; i < 4; i++)
        {
            b.State.Faults.Clear();
            fieldbus.Exchange(b.State);
            raised.Add(b.State.Faults.Contains(FaultCode.BusFrameLost));
        }
        Assert.Equal(new[] { false, false, true, false }, raised);
        Assert.Equal(3, fieldbus.LostFrames);
    }
}
