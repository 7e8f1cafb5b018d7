using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Drivers.EtherCat.Link;
using Rt.TestSupport;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.ProcessData;
using Rt.Hil.Esc.Segment;
using EscState = Rt.Hil.Esc.Esc.AlState;
using EscCodes = Rt.Hil.Esc.Esc.AlStatusCodes;

namespace Rt.Drivers.Tests.EtherCat;

/// <summary>
/// Issue 13: a slave leaving OP is named (bus position, its own AL status) in the very tick the BRD shows it, from the
/// per-slave AL status probes in the same cyclic frame, not some ticks later by a round robin.
/// </summary>
public sealed class SlaveLeftOpTests
{
    private static Fault LeftOpIn(FieldbusTests.Bench b)
    {
        b.State.Faults.Clear();
        b.Fieldbus.Exchange(b.State);
        return Assert.Single(b.State.Faults.Items.ToArray(), f => f.Code == FaultCode.BusSlaveLeftOp);
    }

    [Theory]
    [InlineData(2)]  // a drive in the middle of the chain
    [InlineData(13)] // the last IMU: the slave a round robin probe would reach last
    public void The_first_tick_after_a_slave_drops_to_safeop_names_it_with_its_al_status(int position)
    {
        var b = FieldbusTests.Start(12, 2);
        Assert.Equal(14, b.Op.Cyclic.StatusProbes); // one probe per slave
        for (int i = 0; i < 20; i++) b.Fieldbus.Exchange(b.State);
        Assert.Equal(0, b.State.Faults.Count);

        b.Segment.Slaves[position].Esc.InjectAlError(EscState.SafeOp, EscCodes.SyncManagerWatchdog);
        var f = LeftOpIn(b);
        Assert.Equal(position, f.Source);
        Assert.Equal((int)EscState.SafeOp | 0x10, f.Received); // SAFEOP with the error indicator: its own status, not the OR
        Assert.Equal(position, b.Fieldbus.Last.FirstNotOpPosition);
        Assert.Equal(1, b.Fieldbus.Last.NotOpCount);
    }

    [Fact]
    public void Two_slaves_out_of_op_name_the_lower_position_and_count_both()
    {
        var b = FieldbusTests.Start(4, 1);
        b.Fieldbus.Exchange(b.State);
        b.Segment.Slaves[4].Esc.InjectAlError(EscState.SafeOp, EscCodes.SyncManagerWatchdog);
        b.Segment.Slaves[1].Esc.InjectAlError(EscState.PreOp, 0);
        var f = LeftOpIn(b);
        Assert.Equal(1, f.Source);
        Assert.Equal((int)EscState.PreOp, f.Received);
        Assert.Equal(2, b.Fieldbus.Last.NotOpCount);
    }

    [Fact]
    public void A_frame_without_room_for_every_probe_goes_round_robin_and_names_the_slave_once_probed()
    {
        var b = FieldbusTests.Start(5, 0);
        var stations = b.Master.SubDevices.Select(s => s.StationAddress).ToList();
        var frame = new CyclicFrame(b.Master.Layout!, stations, EthernetHeader.MasterMac, null, maxStatusProbes: 2);
        Assert.Equal(2, frame.StatusProbes);
        b.Segment.Slaves[4].Esc.InjectAlError(EscState.SafeOp, 0);
        var seen = new List<(int First, int Count, int NotOp)>();
        for (int i = 0; i < 3; i++)
        {
            var r = frame.Exchange(b.Link, b.Master.Clock, 1_000_000);
            Assert.True(r.Received);
            Assert.NotEqual((ushort)8, (ushort)(r.AlStatusOr & 0x1F));
            seen.Add((r.ProbeFirstPosition, r.ProbeCount, r.FirstNotOpPosition));
        }
        // Slots 0–1, 2–3, then 4 and 0: slave 4 is named in the third cycle, not before.
        Assert.Equal([(0, 2, -1), (2, 2, -1), (4, 2, 4)], seen);
        Assert.Equal((ushort)EscState.SafeOp, frame.AlStatusOf(4));
    }

    [Fact]
    public void A_slave_that_stops_answering_its_probe_is_reported_silent()
    {
        var b = FieldbusTests.Start(3, 0);
        b.Fieldbus.Exchange(b.State);
        // Slave 1 takes another station address behind the master's back: its FPRD goes unanswered (WKC 0).
        b.Master.Bus.WriteU16(0x1002, 0x0010, 0x2002);
        b.Fieldbus.Exchange(b.State);
        Assert.Equal(1, b.Fieldbus.Last.FirstSilentPosition);
    }

    [Fact]
    public void On_the_biped_the_left_foot_imu_dropping_to_safeop_is_named_slave_13_l_foot_imu_in_its_first_tick()
    {
        var config = ConfigLoader.Load(RepoPaths.Combine("hil", "robots", "biped12", "biped12.yaml"));
        var segment = EscBenchSegment.FromConfig(config);
        using var link = new LoopbackLink(segment);
        var master = new EtherCatMaster(link, MasterOptions.FromConfig(config));
        var fieldbus = EtherCatFieldbus.FromConfig(master.BringUp(config, 0), config);
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        var state = new TickState(config.Joints.Count, config.Imus.Count, layout);
        for (int i = 0; i < 5; i++) fieldbus.Exchange(state);

        int imu = config.Imus.Single(i => i.Name == "l_foot_imu").Device;
        Assert.Equal(13, imu);
        Assert.Equal("slave 13 (l_foot_imu)", fieldbus.SlaveName(imu));
        Assert.Equal("slave 10 (r_ankle_pitch)", fieldbus.SlaveName(config.Joints.Single(j => j.Name == "r_ankle_pitch").Drive));
        segment.Slaves[imu].Esc.InjectAlError(EscState.SafeOp, EscCodes.SyncManagerWatchdog);
        state.Faults.Clear();
        fieldbus.Exchange(state);
        var f = Assert.Single(state.Faults.Items.ToArray(), x => x.Code == FaultCode.BusSlaveLeftOp);
        Assert.Equal(imu, f.Source);
    }
}
