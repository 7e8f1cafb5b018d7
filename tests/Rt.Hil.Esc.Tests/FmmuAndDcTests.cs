using System.Buffers.Binary;
using Rt.Hil.Esc.Segment;

namespace Rt.Hil.Esc.Tests;

public class FmmuAndDcTests
{
    [Fact]
    public void Bit_granular_FMMU_maps_the_mailbox_full_bit_into_a_logical_bit()
    {
        var b = new Bench(1, 0);
        b.ToPreOp();
        // SM1 status 0x080D bit 3 -> logical 0x3000 bit 5 (one bit).
        Assert.Equal(1, b.Bus.Fpwr(0x1001, 0x0620, TestBus.Fmmu(0x3000, 1, 0x080D, 1, startBit: 5, stopBit: 5, physBit: 3)));
        var (wkc, data) = b.Bus.SendLogical(TestBus.LRD, 0x3000, [0xDF]);
        Assert.Equal(1, wkc);
        Assert.Equal(0xDF, data[0]); // bit 5 clear: mailbox empty; other bits untouched
        b.Bus.MailboxWrite(0x1001, 3, TestBus.SdoRequest(0x40, 0x1000, 0));
        b.Bus.Send(TestBus.NOP, 0, 0, new byte[1]);
        (wkc, data) = b.Bus.SendLogical(TestBus.LRD, 0x3000, [0x00]);
        Assert.Equal(1, wkc);
        Assert.Equal(0x20, data[0]);
    }

    [Fact]
    public void Bit_granular_FMMU_write_changes_only_the_mapped_bits()
    {
        var b = new Bench(1, 0);
        b.Bus.AssignStations();
        b.Bus.FpwrU16(0x1001, 0x0200, 0x00F0);
        // logical 0x4000 bits 2..5 -> physical 0x0200 bits 0..3
        b.Bus.Fpwr(0x1001, 0x0600, TestBus.Fmmu(0x4000, 1, 0x0200, 2, startBit: 2, stopBit: 5, physBit: 0));
        var (wkc, _) = b.Bus.SendLogical(TestBus.LWR, 0x4000, [0b0010_1100]); // bits 2..5 = 1011
        Assert.Equal(1, wkc);
        Assert.Equal(0x00FB, b.Bus.FprdU16(0x1001, 0x0200));
    }

    [Fact]
    public void Write_to_0x0900_latches_receive_times_with_per_hop_delay()
    {
        var seg = EscBenchSegment.Create(3, 0, new EscBenchOptions { LinkDelayNs = 700, SpreadClocks = false });
        var bus = new TestBus(seg);
        bus.AssignStations();
        seg.SetTime(5_000_000);
        Assert.Equal(3, bus.Send(TestBus.BWR, 0, 0x0900, new byte[4]).Wkc);
        uint[] p0 = new uint[3], p1 = new uint[3];
        for (int i = 0; i < 3; i++)
        {
            var d = bus.Fprd(Bench.Station(i), 0x0900, 8).Data;
            p0[i] = BinaryPrimitives.ReadUInt32LittleEndian(d);
            p1[i] = BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan(4));
        }

        Assert.Equal(5_000_700u, p0[0]);
        Assert.Equal(5_001_400u, p0[1]);
        Assert.Equal(5_002_100u, p0[2]);
        Assert.Equal(4u * 700, p1[0] - p0[0]); // two hops down and back
        Assert.Equal(2u * 700, p1[1] - p0[1]);
        Assert.Equal(5_000_700UL, BinaryPrimitives.ReadUInt64LittleEndian(bus.Fprd(0x1001, 0x0918, 8).Data));
    }

    [Fact]
    public void Local_clocks_have_their_offset_and_drift()
    {
        var seg = EscBenchSegment.Create(2, 0, new EscBenchOptions { SpreadClocks = false });
        seg.Slaves[1].Esc.Clock.OffsetNs = 1_000;
        seg.Slaves[1].Esc.Clock.DriftPpm = 100;
        var bus = new TestBus(seg);
        bus.AssignStations();
        seg.SetTime(1_000_000_000);
        bus.Send(TestBus.BWR, 0, 0x0900, new byte[4]);
        ulong t = BinaryPrimitives.ReadUInt64LittleEndian(bus.Fprd(0x1002, 0x0918, 8).Data);
        long bench = 1_000_000_000 + 1000; // two hops of 500 ns
        Assert.Equal((ulong)(1_000 + bench + bench / 10_000), t);
    }

    [Fact]
    public void System_time_offset_and_ARMW_distribution_bring_clocks_together()
    {
        var seg = EscBenchSegment.Create(3, 0, new EscBenchOptions { SpreadClocks = false, LinkDelayNs = 500 });
        seg.Slaves[1].Esc.Clock.OffsetNs = 7_000_000;
        seg.Slaves[1].Esc.Clock.DriftPpm = 30;
        seg.Slaves[2].Esc.Clock.OffsetNs = -3_000_000;
        seg.Slaves[2].Esc.Clock.DriftPpm = -20;
        var bus = new TestBus(seg);
        bus.AssignStations();
        seg.SetTime(10_000_000);

        // A master's static set-up: latch, compute offset to the reference (slave 0) and the propagation delay.
        bus.Send(TestBus.BWR, 0, 0x0900, new byte[4]);
        ulong refRx = BinaryPrimitives.ReadUInt64LittleEndian(bus.Fprd(0x1001, 0x0918, 8).Data);
        for (int i = 1; i < 3; i++)
        {
            ulong rx = BinaryPrimitives.ReadUInt64LittleEndian(bus.Fprd(Bench.Station(i), 0x0918, 8).Data);
            long delay = 500L * i;
            long offset = (long)refRx + delay - (long)rx;
            var o = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(o, offset);
            bus.Fpwr(Bench.Station(i), 0x0920, o);
            var d = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(d, (uint)delay);
            bus.Fpwr(Bench.Station(i), 0x0928, d);
        }

        // Cyclic ARMW of the reference's system time for 2 s of bench time at 1 ms.
        long t = 10_000_000;
        for (int k = 0; k < 2000; k++)
        {
            t += 1_000_000;
            seg.SetTime(t);
            var (wkc, _, _) = bus.Send(TestBus.ARMW, 0, 0x0910, new byte[8]);
            Assert.Equal(3, wkc);
        }

        for (int i = 1; i < 3; i++)
        {
            uint diff = BinaryPrimitives.ReadUInt32LittleEndian(bus.Fprd(Bench.Station(i), 0x092C, 4).Data);
            Assert.True((diff & 0x7FFF_FFFF) < 100, $"slave {i} system time difference {diff & 0x7FFF_FFFF} ns");
        }

        long sys0 = seg.Slaves[0].Esc.SystemTimeAt(t);
        Assert.InRange(seg.Slaves[1].Esc.SystemTimeAt(t) - sys0, -100, 100);
        Assert.InRange(seg.Slaves[2].Esc.SystemTimeAt(t) - sys0, -100, 100);
    }
}

public class Sync0Tests
{
    [Fact]
    public void Sync0_pulses_follow_start_time_and_cycle_once_activated()
    {
        var b = new Bench(1, 0, new EscBenchOptions { SpreadClocks = false });
        b.Bus.AssignStations();
        var esc = b.Segment.Slaves[0].Esc;
        Assert.False(esc.TryGetNextSync0(0, out _));
        var start = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(start, 5_000_000);
        b.Bus.Fpwr(0x1001, 0x0990, start);
        b.Bus.Fpwr(0x1001, 0x09A0, 0x40, 0x42, 0x0F, 0x00); // 1 000 000 ns
        b.Bus.Fpwr(0x1001, 0x0981, 0x03);
        Assert.True(esc.TryGetNextSync0(0, out long first));
        Assert.Equal(5_000_000, first);
        Assert.True(esc.TryGetNextSync0(7_300_000, out long next));
        Assert.Equal(8_000_000, next);
        Assert.Equal(0, b.Bus.Fprd(0x1001, 0x098E, 1).Data[0] & 1);
        b.Segment.SetTime(6_000_000);
        Assert.Equal(1, b.Bus.Fprd(0x1001, 0x098E, 1).Data[0] & 1);
    }
}
