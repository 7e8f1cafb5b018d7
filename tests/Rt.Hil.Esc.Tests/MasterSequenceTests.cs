using System.Buffers.Binary;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Segment;

namespace Rt.Hil.Esc.Tests;

/// <summary>
/// Walks the bus the way SOEM's ecx_config_init / ecx_config_map / ecx_configdc / process-data cycle do (the register
/// sequence read from SOEM's sources, re-typed here with the tests' own frame writer), 3 drives + 1 IMU to OP.
/// </summary>
public class MasterSequenceTests
{
    private static byte[] U16(ushort v) => [(byte)v, (byte)(v >> 8)];

    private static uint ReadEepromU32(TestBus bus, int position, int wordAddress)
    {
        ushort adp = (ushort)(-position & 0xFFFF);
        var cmd = new byte[6];
        BinaryPrimitives.WriteUInt16LittleEndian(cmd, 0x0100);
        BinaryPrimitives.WriteUInt16LittleEndian(cmd.AsSpan(2), (ushort)wordAddress);
        Assert.Equal(1, bus.Send(TestBus.APWR, adp, 0x0502, cmd).Wkc);
        var st = bus.Send(TestBus.APRD, adp, 0x0502, new byte[2]);
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(st.Data) & 0x8000);
        return BinaryPrimitives.ReadUInt32LittleEndian(bus.Send(TestBus.APRD, adp, 0x0508, new byte[4]).Data);
    }

    private static int MappedBytes(TestBus bus, ushort station, ushort assign)
    {
        int pdos = bus.Upload(station, assign, 0).Data[0];
        int bits = 0;
        for (int p = 1; p <= pdos; p++)
        {
            ushort pdo = BinaryPrimitives.ReadUInt16LittleEndian(bus.Upload(station, assign, (byte)p).Data);
            int n = bus.Upload(station, pdo, 0).Data[0];
            for (int i = 1; i <= n; i++) bits += bus.Upload(station, pdo, (byte)i).Data[0];
        }

        return (bits + 7) / 8;
    }

    [Fact]
    public void SOEM_style_bring_up_to_OP_with_DC_and_process_data()
    {
        var seg = EscBenchSegment.Create(3, 1);
        var bus = new TestBus(seg);
        const int n = 4;

        // ecx_detect_slaves
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0103, [0]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0120, [0x11]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0120, [0x11]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BRD, 0, 0x0000, new byte[2]).Wkc);

        // ecx_set_slaves_to_default
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0101, [0]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0200, U16(0x0004)).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0300, new byte[8]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0600, new byte[48]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0800, new byte[32]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0981, [0]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0910, new byte[4]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0930, U16(0x1000)).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0934, U16(0x0C00)).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0103, [0]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0120, [0x11]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0500, [2]).Wkc);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0500, [0]).Wkc);

        // ecx_config_init: station addresses, SII identity, topology, mailbox SMs, PREOP.
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(1, bus.Send(TestBus.APWR, (ushort)(-i & 0xFFFF), 0x0010, U16(Bench.Station(i))).Wkc);
            Assert.Equal(DeviceIdentity.RtBenchVendor, ReadEepromU32(bus, i, 0x08));
            Assert.Equal(i < 3 ? ServoDriveDevice.ProductCode : ImuDevice.ProductCode, ReadEepromU32(bus, i, 0x0A));
            uint mbx = ReadEepromU32(bus, i, 0x18);
            Assert.Equal(0x1000u | (128u << 16), mbx);
            ushort dl = bus.FprdU16(Bench.Station(i), 0x0110);
            int ports = ((dl & 0x0300) == 0x0200 ? 1 : 0) + ((dl & 0x0C00) == 0x0800 ? 1 : 0) + ((dl & 0x3000) == 0x2000 ? 1 : 0) + ((dl & 0xC000) == 0x8000 ? 1 : 0);
            Assert.Equal(i < n - 1 ? 2 : 1, ports);
            Assert.Equal(0x0C, bus.Fprd(Bench.Station(i), 0x0008, 2).Data[0] & 0x0C);
        }

        for (int i = 0; i < n; i++)
        {
            var sms = TestBus.SmBytes(0x1000, 128, 0x26, 1).Concat(TestBus.SmBytes(0x1080, 128, 0x22, 1)).ToArray();
            Assert.Equal(1, bus.Fpwr(Bench.Station(i), 0x0800, sms));
            Assert.Equal(1, bus.Fpwr(Bench.Station(i), 0x0500, 1)); // EEPROM to PDI
            Assert.Equal(1, bus.FpwrU16(Bench.Station(i), 0x0120, 0x12));
        }

        Assert.Equal(0x02, bus.Send(TestBus.BRD, 0, 0x0130, new byte[2]).Data[0]);

        // ecx_config_map: PDO sizes over CoE, SM2/SM3, FMMUs (outputs, inputs, mailbox status), SAFEOP.
        var outBytes = new int[n];
        var inBytes = new int[n];
        for (int i = 0; i < n; i++)
        {
            ushort st = Bench.Station(i);
            Assert.Equal(4, bus.Upload(st, 0x1C00, 0).Data[0]);
            Assert.Equal(3, bus.Upload(st, 0x1C00, 3).Data[0]);
            outBytes[i] = MappedBytes(bus, st, 0x1C12);
            inBytes[i] = MappedBytes(bus, st, 0x1C13);
        }

        Assert.Equal(new[] { 25, 25, 25, 0 }, outBytes);
        Assert.Equal(new[] { 15, 15, 15, 32 }, inBytes);
        int totalOut = outBytes.Sum();
        int image = totalOut + inBytes.Sum() + n; // + one mailbox-status byte per slave
        uint lOut = 0, lIn = (uint)totalOut, lMbx = (uint)(totalOut + inBytes.Sum());
        var outAt = new int[n];
        var inAt = new int[n];
        for (int i = 0; i < n; i++)
        {
            ushort st = Bench.Station(i);
            int fmmu = 0;
            Assert.Equal(1, bus.Fpwr(st, 0x0810, TestBus.SmBytes(0x1100, (ushort)outBytes[i], 0x64, (byte)(outBytes[i] > 0 ? 1 : 0))));
            Assert.Equal(1, bus.Fpwr(st, 0x0818, TestBus.SmBytes(0x1180, (ushort)inBytes[i], 0x20, 1)));
            if (outBytes[i] > 0)
            {
                outAt[i] = (int)lOut;
                Assert.Equal(1, bus.Fpwr(st, (ushort)(0x0600 + 16 * fmmu++), TestBus.Fmmu(lOut, (ushort)outBytes[i], 0x1100, 2)));
                lOut += (uint)outBytes[i];
            }

            inAt[i] = (int)lIn;
            Assert.Equal(1, bus.Fpwr(st, (ushort)(0x0600 + 16 * fmmu++), TestBus.Fmmu(lIn, (ushort)inBytes[i], 0x1180, 1)));
            lIn += (uint)inBytes[i];
            Assert.Equal(1, bus.Fpwr(st, (ushort)(0x0600 + 16 * fmmu), TestBus.Fmmu(lMbx++, 1, 0x080D, 1)));
        }

        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0120, U16(0x0004)).Wkc);
        Assert.Equal(0x04, bus.Send(TestBus.BRD, 0, 0x0130, new byte[2]).Data[0]);

        // ecx_configdc: latch, offsets to the reference (slave 0), delays.
        seg.SetTime(1_000_000_000);
        Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0900, new byte[4]).Wkc);
        long masterTime = 700_000_000_000_000_000;
        for (int i = 0; i < n; i++)
        {
            ulong local = BinaryPrimitives.ReadUInt64LittleEndian(bus.Fprd(Bench.Station(i), 0x0918, 8).Data);
            var off = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(off, masterTime - (long)local);
            Assert.Equal(1, bus.Fpwr(Bench.Station(i), 0x0920, off));
        }

        // Process data cycles with FRMW of the reference clock (SOEM prepends it when DC is present), then OP.
        var f = new TestFrame();
        int lrw = f.AddLogical(TestBus.LRW, 0, new byte[image]);
        int frmw = f.Add(TestBus.FRMW, Bench.Station(0), 0x0910, 8);
        f.Build();
        var drives = EscBenchSegment.Drives(seg);
        var imu = EscBenchSegment.Imus(seg)[0];
        drives[2].Feedback.PositionActual = 31337;
        imu.Sample.SampleCounter = 9;
        int expectedWkc = 3 * 3 + 1;
        for (int k = 0; k < 10; k++)
        {
            if (k == 3) Assert.Equal(n, bus.Send(TestBus.BWR, 0, 0x0120, U16(0x0008)).Wkc);
            seg.SetTime(1_000_000_000 + (k + 1) * 1_000_000L);
            var buf = f.Buffer;
            Array.Clear(buf, 16 + 10, image); // fresh outputs each cycle
            Bench.PutDriveOutputs(buf, 16 + 10 + outAt[1], 0x000F, 8, 1000 + k);
            BinaryPrimitives.WriteUInt16LittleEndian(buf.AsSpan(16 + 10 + image), 0);
            BinaryPrimitives.WriteUInt16LittleEndian(buf.AsSpan(16 + 12 + image + 10 + 8), 0);
            Assert.Equal(f.Length, seg.Process(buf, f.Length));
            Assert.Equal(expectedWkc, f.Wkc(lrw));
            Assert.Equal(n, f.Wkc(frmw));
        }

        Assert.Equal(0x08, bus.Send(TestBus.BRD, 0, 0x0130, new byte[2]).Data[0]);
        var data = f.Data(lrw);
        Assert.Equal(1009, drives[1].Command.TargetPosition);
        Assert.Equal(31337, BinaryPrimitives.ReadInt32LittleEndian(data.Slice(inAt[2] + 3)));
        Assert.Equal(9, BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(inAt[3] + 28)));
        for (int i = 0; i < n; i++) Assert.Equal(0, data[(int)(totalOut + inBytes.Sum()) + i] & 0x08); // no mailbox pending
    }

    [Fact]
    public void IgH_style_scan_reads_base_data_and_SII_through_4_byte_command_writes()
    {
        var seg = EscBenchSegment.Create(2, 0);
        var bus = new TestBus(seg);
        bus.AssignStations();
        var (wkc, baseData) = bus.Fprd(0x1002, 0x0000, 12);
        Assert.Equal(1, wkc);
        Assert.Equal(8, baseData[4]);  // FMMUs
        Assert.Equal(8, baseData[5]);  // SMs
        Assert.Equal(0x0F, baseData[7]); // ports 0/1 MII
        Assert.Equal(1, bus.Fpwr(0x1002, 0x0500, 0x00));
        // IgH: 0x80 (two address octets), 0x01 (read), 16-bit word address — 4 bytes; then FPRD 10 bytes at 0x0502.
        Assert.Equal(1, bus.Fpwr(0x1002, 0x0502, 0x80, 0x01, 0x0A, 0x00));
        var (w2, status) = bus.Fprd(0x1002, 0x0502, 10);
        Assert.Equal(1, w2);
        Assert.Equal(0, status[1] & 0x80);
        Assert.Equal(ServoDriveDevice.ProductCode, BinaryPrimitives.ReadUInt32LittleEndian(status.AsSpan(6)));
        // IgH clears all FMMUs and SMs with one write each, sized by the counts it read.
        Assert.Equal(1, bus.Fpwr(0x1002, 0x0600, new byte[8 * 16]));
        Assert.Equal(1, bus.Fpwr(0x1002, 0x0800, new byte[8 * 8]));
        Assert.Equal(1, bus.Fpwr(0x1002, 0x0980, 0x00, 0x00));
        // One FPRD of 0x0910..0x0927 (system time, receive time, offset).
        Assert.Equal(1, bus.Fprd(0x1002, 0x0910, 24).Wkc);
    }
}
