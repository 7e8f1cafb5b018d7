using System.Buffers.Binary;
using Rt.Drivers.Capture;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Sii;
using Rt.Drivers.EtherCat.SubDevices;
using Rt.Hil.Esc.Segment;
using Xunit.Abstractions;

namespace Rt.Drivers.Tests.EtherCat;

public sealed class ScannerAndCaptureTests(ITestOutputHelper output)
{
    [Fact]
    public void Scan_reports_identity_names_state_mailbox_mapping_and_ports_per_slave()
    {
        var segment = EscBenchSegment.Create(1, 1);
        using var link = new LoopbackLink(segment);
        var report = BusScanner.Scan(link, BringUpTests.FastOptions());
        output.WriteLine(report.ToString());
        Assert.Null(report.Error);
        Assert.Equal(2, report.Slaves.Count);
        var drive = report.Slaves[0];
        Assert.Equal(0x1001, drive.StationAddress);
        Assert.Equal(0x402u, drive.Identity.Product);
        Assert.Equal(1u, drive.Identity.Serial);
        Assert.Equal(AlState.PreOp, drive.Status.State);
        Assert.True((drive.Protocols & MailboxProtocols.CoE) != 0);
        Assert.Equal("CoE", drive.MappingSource);
        Assert.Equal(0x1600, Assert.Single(drive.RxPdos).Index);
        Assert.Equal(9, drive.RxPdos[0].Entries.Count); // with 0x6072 and 0x60FE:01
        Assert.Equal(0x6040, drive.RxPdos[0].Entries[0].Index);
        Assert.True(drive.SupportsDc);
        Assert.NotEmpty(drive.DeviceName);
        var imu = report.Slaves[1];
        Assert.Empty(imu.RxPdos);
        Assert.Equal(9, Assert.Single(imu.TxPdos).Entries.Count);
        Assert.Contains("[1] station 0x1002", report.ToString());
        Assert.Contains("0x6031:00", report.ToString());
    }

    [Fact]
    public void Scan_of_an_empty_line_throws_the_structured_no_slaves_error_instead_of_reporting_zero_slaves()
    {
        // Nothing to report: `rt scan` must end with one line and exit 3, not "0 slave(s)" and exit 0.
        using var link = new LoopbackLink(new EscSegment([]));
        var e = Assert.Throws<EtherCatException>(() => BusScanner.Scan(link, BringUpTests.FastOptions()));
        Assert.Equal(BusErrorKind.NoSlaves, e.Kind);
        Assert.False(e.IsConfigMismatch);
        Assert.Contains("no EtherCAT slave answered", e.Message);
    }

    [Fact]
    public void Pcapng_blocks_have_matching_lengths_nanosecond_resolution_and_direction_flags()
    {
        var ms = new MemoryStream();
        using (var w = new PcapngWriter(ms, "eth9", leaveOpen: true))
        {
            w.WriteFrame(new byte[61], 1_234_567_890_123, FrameDirection.Outbound);
            w.WriteFrame(new byte[60], 5, FrameDirection.Inbound);
        }
        var b = ms.ToArray();
        int o = 0;
        var types = new List<uint>();
        var flags = new List<uint>();
        while (o < b.Length)
        {
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(o));
            int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(o + 4));
            Assert.Equal(0, len % 4);
            Assert.Equal((uint)len, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(o + len - 4)));
            types.Add(type);
            if (type == 6)
            {
                int cap = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(o + 20));
                int opt = o + 28 + ((cap + 3) & ~3);
                Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(opt)));
                flags.Add(BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(opt + 4)));
            }
            if (type == 1) Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(o + 8)));
            o += len;
        }
        Assert.Equal(new uint[] { 0x0A0D0D0A, 1, 6, 6 }, types);
        Assert.Equal(new uint[] { 2, 1 }, flags);
        Assert.Equal(o, b.Length);
    }

    [Fact]
    public void Capturing_link_records_without_allocating_on_the_tick_path()
    {
        var segment = EscBenchSegment.Create(1, 0);
        var ms = new MemoryStream();
        long t = 0;
        var capture = new CapturingLink(new LoopbackLink(segment), new PcapngWriter(ms, leaveOpen: true), () => t += 10, ringSlots: 64);
        var frame = new byte[60];
        var rx = new byte[1600];
        new Rt.Drivers.EtherCat.Frame.FrameWriter(frame, capture.MacAddress).Finish();
        var w = new Rt.Drivers.EtherCat.Frame.FrameWriter(frame, capture.MacAddress);
        w.TryAppend(Rt.Drivers.EtherCat.Frame.EtherCatCommand.Brd, 1, 0, 2, out _, out _);
        int n = w.Finish();
        for (int i = 0; i < 5; i++) { capture.TrySend(frame.AsSpan(0, n)); capture.TryReceive(rx); }
        capture.Drain();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) { capture.TrySend(frame.AsSpan(0, n)); capture.TryReceive(rx); }
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
        Assert.Equal(40, capture.Drain());
        for (int i = 0; i < 40; i++) { capture.TrySend(frame.AsSpan(0, n)); capture.TryReceive(rx); }
        Assert.Equal(16, capture.Dropped); // 80 frames into 64 slots
        capture.Dispose();
    }
}
