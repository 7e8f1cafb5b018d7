using System.Buffers.Binary;
using Rt.Hil.Esc.Devices;

namespace Rt.Hil.Esc.Tests;

public class DeviceTests
{
    [Fact]
    public void Drive_outputs_decode_into_Command_and_Feedback_encodes_into_the_inputs()
    {
        var b = new Bench(2, 1);
        b.ToOp();
        var image = new byte[b.ImageBytes];
        Bench.PutDriveOutputs(image, b.OutOffset[1], 0x000F, 8, -123456);
        b.Drive(1).Feedback = new Core.ProcessData.DriveInputs
        {
            Statusword = 0x0237, ModeDisplay = 8, PositionActual = 777, VelocityActual = -5, TorqueActual = 12, ErrorCode = 0x2310,
        };
        Assert.False(b.Segment.LastFrameExchangedProcessData);
        var (wkc, back) = b.Lrw(image);
        Assert.Equal(2 * 3 + 1, wkc);
        Assert.True(b.Segment.LastFrameExchangedProcessData);
        Assert.Equal(0x000F, b.Drive(1).Command.Controlword);
        Assert.Equal(8, b.Drive(1).Command.ModeOfOperation);
        Assert.Equal(-123456, b.Drive(1).Command.TargetPosition);
        int at = b.InOffset[1];
        Assert.Equal(0x0237, BinaryPrimitives.ReadUInt16LittleEndian(back.AsSpan(at)));
        Assert.Equal(8, (sbyte)back[at + 2]);
        Assert.Equal(777, BinaryPrimitives.ReadInt32LittleEndian(back.AsSpan(at + 3)));
        Assert.Equal(-5, BinaryPrimitives.ReadInt32LittleEndian(back.AsSpan(at + 7)));
        Assert.Equal(12, BinaryPrimitives.ReadInt16LittleEndian(back.AsSpan(at + 11)));
        Assert.Equal(0x2310, BinaryPrimitives.ReadUInt16LittleEndian(back.AsSpan(at + 13)));
    }

    /// <summary>
    /// 0x60FE:01 digital outputs through the frame: the bench drive's 0x60FE:02 mask (0x00010001, RtBench-Servo.xml) passes
    /// bit 0 (the brake's release) and bit 16 (close the brake under power) to the drive model and nothing else.
    /// </summary>
    [Fact]
    public void Digital_outputs_reach_the_drive_through_the_0x60FE_02_mask_bits_0_and_16_only()
    {
        var b = new Bench(1, 0);
        b.ToOp();
        var image = new byte[b.ImageBytes];
        Bench.PutDriveOutputs(image, b.OutOffset[0], 0x000F, 8, 0);
        const int digitalOutputs = 2 + 1 + 4 + 4 + 2 + 4 + 2 + 2; // after 0x6040 … 0x6072 in RxPDO 0x1600
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(b.OutOffset[0] + digitalOutputs), 0x0001_0003u);
        b.Lrw(image);
        Assert.Equal(Core.ProcessData.DriveDigitalOutputs.BrakeRelease | Core.ProcessData.DriveDigitalOutputs.BenchBrakeEngage, b.Drive(0).Command.DigitalOutputs);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(b.OutOffset[0] + digitalOutputs), 0x0001_0000u);
        b.Lrw(image);
        Assert.Equal(Core.ProcessData.DriveDigitalOutputs.BenchBrakeEngage, b.Drive(0).Command.DigitalOutputs);
    }

    [Fact]
    public void Imu_sample_encodes_into_32_bytes_in_mapping_order()
    {
        var b = new Bench(1, 1);
        b.ToOp();
        var imu = (ImuDevice)b.Segment.Slaves[1];
        Assert.Equal(32, imu.InputBytes);
        Assert.Equal(0, imu.OutputBytes);
        imu.Sample = new Core.ProcessData.ImuInputs
        {
            SpecificForceX = 0.5f, SpecificForceY = -0.25f, SpecificForceZ = 9.81f,
            AngularRateX = 0.01f, AngularRateY = 0.02f, AngularRateZ = -0.03f, TemperatureC = 36.6f, SampleCounter = 4242, Status = 2,
        };
        var (_, back) = b.Lrw(new byte[b.ImageBytes]);
        int at = b.InOffset[1];
        Assert.Equal(9.81f, BinaryPrimitives.ReadSingleLittleEndian(back.AsSpan(at + 8)));
        Assert.Equal(-0.03f, BinaryPrimitives.ReadSingleLittleEndian(back.AsSpan(at + 20)));
        Assert.Equal(36.6f, BinaryPrimitives.ReadSingleLittleEndian(back.AsSpan(at + 24)));
        Assert.Equal(4242, BinaryPrimitives.ReadUInt16LittleEndian(back.AsSpan(at + 28)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(back.AsSpan(at + 30)));
    }

    [Fact]
    public void Outputs_are_not_applied_in_SAFEOP()
    {
        var b = new Bench(1, 0);
        b.ToSafeOp();
        var image = new byte[b.ImageBytes];
        Bench.PutDriveOutputs(image, 0, 0x000F, 8, 42);
        b.Lrw(image);
        Assert.Equal(0, b.Drive(0).Command.TargetPosition);
        Assert.Equal(0, b.Drive(0).OutputUpdates);
    }

    [Fact]
    public void Remapped_RxPDO_decodes_with_the_current_mapping()
    {
        var b = new Bench(1, 0);
        b.ToPreOp();
        Assert.Equal(0u, b.Bus.Download(0x1001, 0x1600, 0, 0, 1));
        Assert.Equal(0u, b.Bus.Download(0x1001, 0x1600, 1, 0x607A0020, 4));
        Assert.Equal(0u, b.Bus.Download(0x1001, 0x1600, 2, 0x60400010, 4));
        Assert.Equal(0u, b.Bus.Download(0x1001, 0x1600, 0, 2, 1));
        b.Bus.ToSafeOp(0x1001, 6, 15, Bench.LogicalBase, Bench.LogicalBase + 6);
        Assert.Equal(0x08, b.Bus.RequestState(0x1001, 0x08));
        var image = new byte[21];
        BinaryPrimitives.WriteInt32LittleEndian(image, 99_000);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(4), 0x0007);
        Assert.Equal(3, b.Bus.SendLogical(TestBus.LRW, Bench.LogicalBase, image).Wkc);
        Assert.Equal(99_000, b.Drive(0).Command.TargetPosition);
        Assert.Equal(0x0007, b.Drive(0).Command.Controlword);
    }

    [Fact]
    public void Pdo_assignment_and_mapping_read_back_as_a_master_reads_them()
    {
        var b = new Bench(1, 0);
        b.ToPreOp();
        Assert.Equal(new byte[] { 1 }, b.Bus.Upload(0x1001, 0x1C12, 0).Data);
        Assert.Equal(0x1600, BinaryPrimitives.ReadUInt16LittleEndian(b.Bus.Upload(0x1001, 0x1C12, 1).Data));
        Assert.Equal(new byte[] { 9 }, b.Bus.Upload(0x1001, 0x1600, 0).Data);
        Assert.Equal(0x60400010u, BinaryPrimitives.ReadUInt32LittleEndian(b.Bus.Upload(0x1001, 0x1600, 1).Data));
        Assert.Equal(0x60B20010u, BinaryPrimitives.ReadUInt32LittleEndian(b.Bus.Upload(0x1001, 0x1600, 7).Data));
        Assert.Equal(new byte[] { 6 }, b.Bus.Upload(0x1001, 0x1A00, 0).Data);
        Assert.Equal(3, b.Bus.Upload(0x1001, 0x1C00, 3).Data[0]);
    }

    [Fact]
    public void Biped_bench_chain_is_12_drives_then_3_imus()
    {
        var seg = Segment.EscBenchSegment.Create(12, 3);
        Assert.Equal(15, seg.Slaves.Count);
        Assert.All(seg.Slaves.Take(12), s => Assert.IsType<ServoDriveDevice>(s));
        Assert.All(seg.Slaves.Skip(12), s => Assert.IsType<ImuDevice>(s));
        Assert.Equal(12, Segment.EscBenchSegment.Drives(seg).Count);
        Assert.Equal(3, Segment.EscBenchSegment.Imus(seg).Count);
    }

    [Fact]
    public void Process_allocates_nothing_per_frame_in_OP_with_mailbox_traffic()
    {
        var b = new Bench(12, 3);
        b.ToOp();
        var f = new TestFrame();
        f.AddLogical(TestBus.LRW, Bench.LogicalBase, new byte[b.ImageBytes]);
        f.Add(TestBus.FRMW, 0x1001, 0x0910, 8);
        f.Add(TestBus.BRD, 0, 0x0130, 2);
        var frame = f.Build();
        var req = new TestFrame();
        var m = new byte[128];
        var sdo = TestBus.SdoRequest(0x40, 0x2001, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(m, (ushort)sdo.Length);
        m[5] = 0x03; // counter 0: never treated as a repeat
        sdo.CopyTo(m, 6);
        req.Add(TestBus.FPWR, 0x1001, 0x1000, m);
        req.Add(TestBus.FPRD, 0x1001, 0x1080, 128);
        var reqFrame = req.Build();
        var work = new byte[frame.Length];
        var reqWork = new byte[reqFrame.Length];

        void Cycle(int k)
        {
            b.Segment.SetTime(k * 1_000_000L);
            frame.CopyTo(work, 0);
            b.Segment.Process(work, f.Length);
            reqFrame.CopyTo(reqWork, 0);
            b.Segment.Process(reqWork, req.Length);
        }

        for (int k = 0; k < 2000; k++) Cycle(k);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 2000; k < 12_000; k++) Cycle(k);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(b.Segment.Slaves[0].Mailbox.RequestsHandled > 1000);
    }
}
