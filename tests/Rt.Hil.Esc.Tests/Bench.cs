using System.Buffers.Binary;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Segment;

namespace Rt.Hil.Esc.Tests;

/// <summary>Brings a bench segment to OP the way a master would, with a compact logical image (outputs, then inputs).</summary>
internal sealed class Bench
{
    public Bench(int drives, int imus, EscBenchOptions? options = null)
    {
        Segment = EscBenchSegment.Create(drives, imus, options ?? new EscBenchOptions());
        Bus = new TestBus(Segment);
        OutOffset = new int[Segment.Slaves.Count];
        InOffset = new int[Segment.Slaves.Count];
        int o = 0;
        for (int i = 0; i < Segment.Slaves.Count; i++)
        {
            OutOffset[i] = o;
            o += Segment.Slaves[i].OutputBytes;
        }

        OutputBytes = o;
        for (int i = 0; i < Segment.Slaves.Count; i++)
        {
            InOffset[i] = o;
            o += Segment.Slaves[i].InputBytes;
        }

        ImageBytes = o;
    }

    public EscSegment Segment { get; }
    public TestBus Bus { get; }
    public int[] OutOffset { get; }
    public int[] InOffset { get; }
    public int OutputBytes { get; }
    public int ImageBytes { get; }
    public const uint LogicalBase = 0x0001_0000;

    public static ushort Station(int position) => (ushort)(0x1001 + position);

    public void ToPreOp()
    {
        Bus.AssignStations();
        for (int i = 0; i < Segment.Slaves.Count; i++)
        {
            Bus.SetupMailbox(Station(i));
            Assert.Equal(0x02, Bus.RequestState(Station(i), 0x02));
        }
    }

    public void ToSafeOp()
    {
        ToPreOp();
        for (int i = 0; i < Segment.Slaves.Count; i++)
        {
            var s = Segment.Slaves[i];
            Bus.ToSafeOp(Station(i), s.OutputBytes, s.InputBytes, LogicalBase + (uint)OutOffset[i], LogicalBase + (uint)InOffset[i]);
        }
    }

    public void ToOp()
    {
        ToSafeOp();
        Lrw(new byte[ImageBytes]);
        for (int i = 0; i < Segment.Slaves.Count; i++) Assert.Equal(0x08, Bus.RequestState(Station(i), 0x08));
    }

    public int ExpectedLrwWkc()
    {
        int w = 0;
        foreach (var s in Segment.Slaves) w += (s.OutputBytes > 0 ? 2 : 0) + (s.InputBytes > 0 ? 1 : 0);
        return w;
    }

    public (int Wkc, byte[] Image) Lrw(byte[] image) => Bus.SendLogical(TestBus.LRW, LogicalBase, image);

    public static void PutDriveOutputs(byte[] image, int at, ushort controlword, sbyte mode, int targetPosition)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(at), controlword);
        image[at + 2] = (byte)mode;
        BinaryPrimitives.WriteInt32LittleEndian(image.AsSpan(at + 3), targetPosition);
    }

    public ServoDriveDevice Drive(int i) => (ServoDriveDevice)Segment.Slaves[i];
}
