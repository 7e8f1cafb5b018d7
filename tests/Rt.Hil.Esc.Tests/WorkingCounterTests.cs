using System.Buffers.Binary;

namespace Rt.Hil.Esc.Tests;

public class WorkingCounterTests
{
    private static Bench Chain()
    {
        var b = new Bench(3, 0);
        b.Bus.AssignStations();
        return b;
    }

    [Fact]
    public void APRD_addresses_the_slave_reaching_ADP_zero_and_every_slave_increments_ADP()
    {
        var b = Chain();
        var (wkc, data, adp) = b.Bus.Send(TestBus.APRD, 0xFFFF, 0x0010, new byte[2]); // position 1
        Assert.Equal(1, wkc);
        Assert.Equal(0x1002, BinaryPrimitives.ReadUInt16LittleEndian(data));
        Assert.Equal(2, adp); // -1 + 3 slaves
    }

    [Fact]
    public void APRD_to_a_missing_position_gives_no_working_counter()
    {
        var b = Chain();
        Assert.Equal(0, b.Bus.Send(TestBus.APRD, 0xFFFD, 0x0000, new byte[1]).Wkc); // position 3 of 3 slaves
    }

    [Fact]
    public void APWR_writes_only_the_addressed_slave()
    {
        var b = Chain();
        Assert.Equal(1, b.Bus.Send(TestBus.APWR, 0xFFFE, 0x0200, [0x34, 0x12]).Wkc); // position 2
        Assert.Equal(0x1234, b.Bus.FprdU16(0x1003, 0x0200));
        Assert.Equal(0, b.Bus.FprdU16(0x1001, 0x0200));
    }

    [Fact]
    public void APRW_reads_old_value_writes_new_and_counts_three()
    {
        var b = Chain();
        b.Bus.FpwrU16(0x1001, 0x0200, 0x1111);
        var (wkc, data, _) = b.Bus.Send(TestBus.APRW, 0, 0x0200, [0x22, 0x22]);
        Assert.Equal(3, wkc);
        Assert.Equal(0x1111, BinaryPrimitives.ReadUInt16LittleEndian(data));
        Assert.Equal(0x2222, b.Bus.FprdU16(0x1001, 0x0200));
    }

    [Fact]
    public void FPRD_FPWR_FPRW_count_1_1_3_and_unknown_station_counts_0()
    {
        var b = Chain();
        Assert.Equal(1, b.Bus.Fprd(0x1002, 0x0000, 4).Wkc);
        Assert.Equal(1, b.Bus.FpwrU16(0x1002, 0x0200, 0x0004));
        Assert.Equal(3, b.Bus.Send(TestBus.FPRW, 0x1002, 0x0200, [0, 0]).Wkc);
        Assert.Equal(0, b.Bus.Fprd(0x2000, 0x0000, 4).Wkc);
    }

    [Fact]
    public void FP_addressing_matches_the_SII_alias_only_when_enabled_in_DL_control()
    {
        var slaves = new Devices.EmulatedSlave[]
        {
            new Devices.ServoDriveDevice(),
            new Devices.ServoDriveDevice(new Devices.SlaveOptions { Alias = 0x0077 }),
        };
        var bus = new TestBus(new Segment.EscSegment(slaves));
        bus.AssignStations();
        Assert.Equal(0x0077, bus.FprdU16(0x1002, 0x0012));
        Assert.Equal(0, bus.Fprd(0x0077, 0x0000, 1).Wkc);
        bus.Fpwr(0x1002, 0x0103, 0x01);
        Assert.Equal(1, bus.Fprd(0x0077, 0x0000, 1).Wkc);
        Assert.Equal(1, bus.Fprd(0x1002, 0x0000, 1).Wkc); // the station address still matches
    }

    [Fact]
    public void Alias_register_is_read_only_for_the_master_and_EEPROM_reload_restores_it()
    {
        var bus = new TestBus(new Segment.EscSegment([new Devices.ServoDriveDevice(new Devices.SlaveOptions { Alias = 0x0042 })]));
        bus.AssignStations();
        Assert.Equal(1, bus.FpwrU16(0x1001, 0x0012, 0x0099)); // counted, ignored
        Assert.Equal(0x0042, bus.FprdU16(0x1001, 0x0012));
        bus.Fpwr(0x1001, 0x0508, 0x55, 0x00);
        bus.Fpwr(0x1001, 0x0502, 0x01, 0x02, 0x04, 0, 0, 0); // write word 4 (alias) = 0x0055
        Assert.Equal(0x0042, bus.FprdU16(0x1001, 0x0012));
        bus.Fpwr(0x1001, 0x0502, 0x00, 0x04); // reload: word 4 is under the header CRC, now stale
        Assert.Equal(0x0800, bus.FprdU16(0x1001, 0x0502) & 0x0800);
        // Like IgH's alias write: fix the checksum word too, then reload.
        var words = bus.Segment.Slaves[0].Esc.Eeprom.ToArray();
        bus.Fpwr(0x1001, 0x0508, Sii.SiiChecksum.Compute(words), 0x00);
        bus.Fpwr(0x1001, 0x0502, 0x01, 0x02, 0x07, 0, 0, 0);
        bus.Fpwr(0x1001, 0x0502, 0x00, 0x04);
        Assert.Equal(0, bus.FprdU16(0x1001, 0x0502) & 0x1800);
        Assert.Equal(0x0055, bus.FprdU16(0x1001, 0x0012));
    }

    [Fact]
    public void BRD_ORs_every_slave_into_the_data_and_counts_each()
    {
        var b = Chain();
        b.Bus.FpwrU16(0x1001, 0x0200, 0x0001);
        b.Bus.FpwrU16(0x1002, 0x0200, 0x0010);
        b.Bus.FpwrU16(0x1003, 0x0200, 0x0100);
        var (wkc, data, adp) = b.Bus.Send(TestBus.BRD, 0, 0x0200, new byte[2]);
        Assert.Equal(3, wkc);
        Assert.Equal(0x0111, BinaryPrimitives.ReadUInt16LittleEndian(data));
        Assert.Equal(3, adp);
    }

    [Fact]
    public void BWR_writes_all_and_BRW_counts_three_per_slave()
    {
        var b = Chain();
        Assert.Equal(3, b.Bus.Send(TestBus.BWR, 0, 0x0200, [0x04, 0x00]).Wkc);
        for (int i = 0; i < 3; i++) Assert.Equal(0x0004, b.Bus.FprdU16(Bench.Station(i), 0x0200));
        var (wkc, data, _) = b.Bus.Send(TestBus.BRW, 0, 0x0200, [0x08, 0x00]);
        Assert.Equal(9, wkc);
        // Each slave ORs its old value into the passing data and writes the data as it arrived at it.
        Assert.Equal(0x000C, BinaryPrimitives.ReadUInt16LittleEndian(data));
        Assert.Equal(0x0008, b.Bus.FprdU16(0x1001, 0x0200));
        Assert.Equal(0x000C, b.Bus.FprdU16(0x1003, 0x0200));
    }

    [Fact]
    public void ARMW_reads_at_the_addressed_slave_and_writes_that_value_to_the_others()
    {
        var b = Chain();
        b.Bus.FpwrU16(0x1001, 0x0200, 0xAAAA);
        var (wkc, data, adp) = b.Bus.Send(TestBus.ARMW, 0, 0x0200, new byte[2]);
        Assert.Equal(3, wkc);
        Assert.Equal(0xAAAA, BinaryPrimitives.ReadUInt16LittleEndian(data));
        Assert.Equal(3, adp);
        Assert.Equal(0xAAAA, b.Bus.FprdU16(0x1003, 0x0200));
    }

    [Fact]
    public void FRMW_reads_at_the_station_and_writes_the_others()
    {
        var b = Chain();
        b.Bus.FpwrU16(0x1002, 0x0200, 0x5555);
        var (wkc, data, _) = b.Bus.Send(TestBus.FRMW, 0x1002, 0x0200, new byte[2]);
        Assert.Equal(3, wkc);
        Assert.Equal(0x5555, BinaryPrimitives.ReadUInt16LittleEndian(data));
        Assert.Equal(0x0000, b.Bus.FprdU16(0x1001, 0x0200)); // upstream of the reader: gets the data as sent
        Assert.Equal(0x5555, b.Bus.FprdU16(0x1003, 0x0200));
    }

    [Fact]
    public void Logical_commands_count_read_1_write_1_and_LRW_read_1_write_2_per_slave()
    {
        var b = new Bench(3, 0);
        b.ToSafeOp();
        int n = b.ImageBytes;
        Assert.Equal(3, b.Bus.SendLogical(TestBus.LRD, Bench.LogicalBase, new byte[n]).Wkc);
        Assert.Equal(3, b.Bus.SendLogical(TestBus.LWR, Bench.LogicalBase, new byte[n]).Wkc);
        Assert.Equal(9, b.Bus.SendLogical(TestBus.LRW, Bench.LogicalBase, new byte[n]).Wkc);
        Assert.Equal(b.ExpectedLrwWkc(), b.Bus.SendLogical(TestBus.LRW, Bench.LogicalBase, new byte[n]).Wkc);
        Assert.Equal(0, b.Bus.SendLogical(TestBus.LRW, 0x00F0_0000, new byte[n]).Wkc); // maps to nothing
        // Only the inputs part: read FMMUs only.
        Assert.Equal(3, b.Bus.SendLogical(TestBus.LRW, Bench.LogicalBase + (uint)b.OutputBytes, new byte[n - b.OutputBytes]).Wkc);
    }

    [Fact]
    public void NOP_and_unknown_commands_pass_untouched()
    {
        var b = Chain();
        var (wkc, data, adp) = b.Bus.Send(TestBus.NOP, 0x1234, 0x0010, [9, 9]);
        Assert.Equal(0, wkc);
        Assert.Equal(new byte[] { 9, 9 }, data);
        Assert.Equal(0x1234, adp);
        Assert.Equal(0, b.Bus.Send(0x20, 0, 0x0010, [0, 0]).Wkc);
    }

    [Fact]
    public void Several_datagrams_in_one_frame_are_processed_in_order_with_their_index_kept()
    {
        var b = Chain();
        var f = new TestFrame();
        int w = f.Add(TestBus.FPWR, 0x1001, 0x0200, [0x42, 0x00]);
        int r = f.Add(TestBus.FPRD, 0x1001, 0x0200, 2);
        int brd = f.Add(TestBus.BRD, 0, 0x0130, 2);
        var buf = f.Build();
        Assert.Equal(f.Length, b.Segment.Process(buf, f.Length));
        Assert.Equal(1, f.Wkc(w));
        Assert.Equal(0x42, f.Data(r)[0]);
        Assert.Equal(3, f.Wkc(brd));
        Assert.Equal(1, f.Index(1));
        Assert.Equal(0x12, buf[6]); // 0x10 | 0x02: returned through a slave
    }

    [Fact]
    public void Wkc_fault_injection_skips_or_adds()
    {
        var b = Chain();
        b.Segment.Slaves[1].Esc.WkcFault = Esc.WkcFault.Skip;
        Assert.Equal(2, b.Bus.Send(TestBus.BRD, 0, 0x0000, new byte[1]).Wkc);
        b.Segment.Slaves[1].Esc.WkcFault = Esc.WkcFault.AddOne;
        Assert.Equal(4, b.Bus.Send(TestBus.BRD, 0, 0x0000, new byte[1]).Wkc);
    }
}
