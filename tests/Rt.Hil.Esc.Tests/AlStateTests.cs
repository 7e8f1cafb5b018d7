using Rt.Hil.Esc.Esc;
using Rt.Hil.Esc.Segment;

namespace Rt.Hil.Esc.Tests;

public class AlStateTests
{
    private static ushort Code(Bench b) => b.Bus.FprdU16(0x1001, 0x0134);

    private static Bench One(EscBenchOptions? o = null)
    {
        var b = new Bench(1, 0, o);
        b.Bus.AssignStations();
        return b;
    }

    [Fact]
    public void INIT_to_PREOP_without_mailbox_SMs_is_refused_with_0x0016_and_latched_until_acknowledged()
    {
        var b = One();
        Assert.Equal(0x11, b.Bus.RequestState(0x1001, 0x02));
        Assert.Equal(0x0016, Code(b));
        b.Bus.SetupMailbox(0x1001);
        Assert.Equal(0x11, b.Bus.RequestState(0x1001, 0x02)); // no acknowledge: still latched
        Assert.Equal(0x02, b.Bus.RequestState(0x1001, 0x12)); // acknowledge + PREOP
        Assert.Equal(0, Code(b));
    }

    [Fact]
    public void Mailbox_SM_with_wrong_length_is_refused()
    {
        var b = One();
        b.Bus.Fpwr(0x1001, 0x0800, TestBus.SmBytes(0x1000, 64, 0x26, 1));
        b.Bus.Fpwr(0x1001, 0x0808, TestBus.SmBytes(0x1080, 128, 0x22, 1));
        Assert.Equal(0x11, b.Bus.RequestState(0x1001, 0x02));
        Assert.Equal(0x0016, Code(b));
    }

    [Theory]
    [InlineData(0x04)]
    [InlineData(0x08)]
    public void INIT_to_SAFEOP_or_OP_is_an_invalid_state_change(byte target)
    {
        var b = One();
        Assert.Equal(0x11, b.Bus.RequestState(0x1001, target));
        Assert.Equal(0x0011, Code(b));
    }

    [Fact]
    public void PREOP_to_OP_is_an_invalid_state_change()
    {
        var b = new Bench(1, 0);
        b.ToPreOp();
        Assert.Equal(0x12, b.Bus.RequestState(0x1001, 0x08));
        Assert.Equal(0x0011, Code(b));
    }

    [Fact]
    public void Unknown_state_is_0x0012_and_BOOT_is_0x0013()
    {
        var b = One();
        Assert.Equal(0x11, b.Bus.RequestState(0x1001, 0x05));
        Assert.Equal(0x0012, Code(b));
        Assert.Equal(0x11, b.Bus.RequestState(0x1001, 0x13));
        Assert.Equal(0x0013, Code(b));
    }

    [Fact]
    public void SM2_length_not_matching_the_mapping_is_0x001D_and_SM3_is_0x001E()
    {
        var b = new Bench(1, 0);
        b.ToPreOp();
        b.Bus.Fpwr(0x1001, 0x0810, TestBus.SmBytes(0x1100, 18, 0x64, 1));
        b.Bus.Fpwr(0x1001, 0x0600, TestBus.Fmmu(0x10000, 18, 0x1100, 2));
        b.Bus.Fpwr(0x1001, 0x0818, TestBus.SmBytes(0x1180, 15, 0x20, 1));
        b.Bus.Fpwr(0x1001, 0x0610, TestBus.Fmmu(0x20000, 15, 0x1180, 1));
        Assert.Equal(0x12, b.Bus.RequestState(0x1001, 0x04));
        Assert.Equal(0x001D, Code(b));

        // Fix SM2 (disable, rewrite, enable), break SM3.
        b.Bus.Fpwr(0x1001, 0x0816, 0);
        b.Bus.Fpwr(0x1001, 0x0810, TestBus.SmBytes(0x1100, 25, 0x64, 1));
        b.Bus.Fpwr(0x1001, 0x081E, 0);
        b.Bus.Fpwr(0x1001, 0x0818, TestBus.SmBytes(0x1180, 14, 0x20, 1));
        Assert.Equal(0x12, b.Bus.RequestState(0x1001, 0x14));
        Assert.Equal(0x001E, Code(b));
    }

    [Fact]
    public void SM_start_and_length_are_locked_while_enabled()
    {
        var b = new Bench(1, 0);
        b.ToPreOp();
        Assert.Equal(1, b.Bus.Fpwr(0x1001, 0x0800, TestBus.SmBytes(0x1400, 32, 0x26, 1))); // counted, but ignored
        Assert.Equal(0x1000, b.Bus.FprdU16(0x1001, 0x0800));
        Assert.Equal(128, b.Bus.FprdU16(0x1001, 0x0802));
    }

    [Fact]
    public void Missing_output_FMMU_is_0x001D()
    {
        var b = new Bench(1, 0);
        b.ToPreOp();
        b.Bus.Fpwr(0x1001, 0x0810, TestBus.SmBytes(0x1100, 25, 0x64, 1));
        b.Bus.Fpwr(0x1001, 0x0818, TestBus.SmBytes(0x1180, 15, 0x20, 1));
        b.Bus.Fpwr(0x1001, 0x0610, TestBus.Fmmu(0x20000, 15, 0x1180, 1));
        Assert.Equal(0x12, b.Bus.RequestState(0x1001, 0x04));
        Assert.Equal(0x001D, Code(b));
    }

    [Fact]
    public void Sync_type_2_without_SYNC0_activation_is_0x0030()
    {
        var b = new Bench(1, 0);
        b.ToPreOp();
        Assert.Equal(0u, b.Bus.Download(0x1001, 0x1C32, 1, 2, 2));
        b.Bus.Fpwr(0x1001, 0x0810, TestBus.SmBytes(0x1100, 25, 0x64, 1));
        b.Bus.Fpwr(0x1001, 0x0600, TestBus.Fmmu(0x10000, 25, 0x1100, 2));
        b.Bus.Fpwr(0x1001, 0x0818, TestBus.SmBytes(0x1180, 15, 0x20, 1));
        b.Bus.Fpwr(0x1001, 0x0610, TestBus.Fmmu(0x20000, 15, 0x1180, 1));
        Assert.Equal(0x12, b.Bus.RequestState(0x1001, 0x04));
        Assert.Equal(0x0030, Code(b));
        b.Bus.Fpwr(0x1001, 0x0981, 0x03);
        Assert.Equal(0x04, b.Bus.RequestState(0x1001, 0x14));
    }

    [Fact]
    public void Full_path_to_OP_and_downward_transitions_are_always_allowed()
    {
        var b = new Bench(1, 0);
        b.ToOp();
        Assert.Equal(0x04, b.Bus.RequestState(0x1001, 0x04));
        Assert.Equal(0x08, b.Bus.RequestState(0x1001, 0x08));
        Assert.Equal(0x01, b.Bus.RequestState(0x1001, 0x01));
    }

    [Fact]
    public void Forced_error_keeps_the_state_until_acknowledged_but_a_step_down_is_carried_out()
    {
        var b = new Bench(1, 0);
        b.ToOp();
        b.Segment.Slaves[0].Esc.InjectAlError(AlState.SafeOp, 0x001A);
        Assert.Equal(0x14, b.Bus.FprdU16(0x1001, 0x0130));
        Assert.Equal(0x14, b.Bus.RequestState(0x1001, 0x08)); // up without ack: ignored
        Assert.Equal(0x12, b.Bus.RequestState(0x1001, 0x02)); // down without ack: done, error stays
        Assert.Equal(0x001A, Code(b));
        Assert.Equal(0x02, b.Bus.RequestState(0x1001, 0x12));
    }

    [Fact]
    public void Process_data_watchdog_drops_OP_to_SAFEOP_with_0x001B()
    {
        var b = new Bench(1, 0, new EscBenchOptions { ProcessDataWatchdog = true });
        b.ToPreOp();
        b.Bus.Fpwr(0x1001, 0x0810, TestBus.SmBytes(0x1100, 25, 0x64 | 0x40, 1));
        b.Bus.Fpwr(0x1001, 0x0600, TestBus.Fmmu(Bench.LogicalBase, 25, 0x1100, 2));
        b.Bus.Fpwr(0x1001, 0x0818, TestBus.SmBytes(0x1180, 15, 0x20, 1));
        b.Bus.Fpwr(0x1001, 0x0610, TestBus.Fmmu(Bench.LogicalBase + 25, 15, 0x1180, 1));
        Assert.Equal(0x04, b.Bus.RequestState(0x1001, 0x04));
        Assert.Equal(0x08, b.Bus.RequestState(0x1001, 0x08));
        for (long t = 0; t <= 50_000_000; t += 1_000_000)
        {
            b.Segment.SetTime(t);
            Assert.Equal(3, b.Lrw(new byte[40]).Wkc);
        }

        Assert.Equal(0x08, b.Bus.FprdU16(0x1001, 0x0130));
        b.Segment.SetTime(50_000_000 + 100_500_000); // > 100 ms without outputs
        Assert.Equal(0x14, b.Bus.FprdU16(0x1001, 0x0130));
        Assert.Equal(0x001B, Code(b));
    }

    [Fact]
    public void Link_down_drops_every_frame()
    {
        var b = One();
        b.Segment.LinkDown = true;
        var f = new TestFrame();
        f.Add(TestBus.BRD, 0, 0, 1);
        var buf = f.Build();
        Assert.Equal(0, b.Segment.Process(buf, f.Length));
        Assert.Equal(1, b.Segment.FramesDropped);
    }

    [Fact]
    public void Drop_next_frames_loses_exactly_that_many()
    {
        var b = One();
        b.Segment.DropNextFrames = 2;
        var f = new TestFrame();
        f.Add(TestBus.BRD, 0, 0, 1);
        var buf = f.Build();
        Assert.Equal(0, b.Segment.Process(buf, f.Length));
        Assert.Equal(0, b.Segment.Process(buf, f.Length));
        Assert.Equal(f.Length, b.Segment.Process(buf, f.Length));
    }

    [Fact]
    public void Power_cycle_returns_to_INIT_and_keeps_the_line_topology()
    {
        var b = new Bench(2, 0);
        b.ToPreOp();
        b.Segment.Slaves[0].PowerCycle();
        Assert.Equal(AlState.Init, b.Segment.Slaves[0].Esc.State);
        Assert.Equal(0x5A37, b.Segment.Slaves[0].Esc.Memory[0x0110] | (b.Segment.Slaves[0].Esc.Memory[0x0111] << 8));
        Assert.Equal(0, b.Segment.Slaves[0].Esc.StationAddress);
    }
}
