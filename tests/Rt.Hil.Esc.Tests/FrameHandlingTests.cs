using System.Buffers.Binary;

namespace Rt.Hil.Esc.Tests;

public class FrameHandlingTests
{
    private static (Bench Bench, byte[] Frame, int Length) ValidFrame()
    {
        var b = new Bench(3, 0);
        b.Bus.AssignStations();
        var f = new TestFrame();
        f.Add(TestBus.BRD, 0, 0x0130, 2);
        f.Add(TestBus.FPRD, 0x1001, 0x0000, 8);
        return (b, f.Build(), f.Length);
    }

    [Fact]
    public void Non_EtherCAT_frames_are_dropped()
    {
        var (b, frame, len) = ValidFrame();
        frame[12] = 0x08;
        frame[13] = 0x00;
        Assert.Equal(0, b.Segment.Process(frame, len));
        Assert.Equal(1, b.Segment.NonEtherCatFrames);
    }

    [Fact]
    public void EtherCAT_header_type_other_than_1_is_dropped()
    {
        var (b, frame, len) = ValidFrame();
        frame[15] = (byte)((frame[15] & 0x0F) | 0x40);
        Assert.Equal(0, b.Segment.Process(frame, len));
    }

    [Fact]
    public void VLAN_tagged_frames_are_processed()
    {
        var b = new Bench(2, 0);
        var f = new TestFrame();
        f.Add(TestBus.BRD, 0, 0x0000, 1);
        var buf = f.Build(vlan: true);
        Assert.Equal(f.Length, b.Segment.Process(buf, f.Length));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(buf.AsSpan(18 + 2 + 10 + 1)));
    }

    [Fact]
    public void Truncated_datagram_is_dropped_and_counted()
    {
        var (b, frame, _) = ValidFrame();
        long processed = b.Segment.FramesProcessed;
        Assert.Equal(0, b.Segment.Process(frame, 14 + 2 + 12 + 5)); // ends inside the second datagram
        Assert.Equal(1, b.Segment.MalformedFrames);
        Assert.Equal(processed, b.Segment.FramesProcessed);
    }

    [Fact]
    public void Datagram_length_beyond_the_EtherCAT_length_is_dropped()
    {
        var (b, frame, len) = ValidFrame();
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(16 + 6), 0x8000 | 400);
        Assert.Equal(0, b.Segment.Process(frame, len));
        Assert.Equal(1, b.Segment.MalformedFrames);
    }

    [Fact]
    public void EtherCAT_length_beyond_the_frame_is_dropped()
    {
        var (b, frame, len) = ValidFrame();
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(14), 0x1000 | 0x7FF);
        Assert.Equal(0, b.Segment.Process(frame, len));
        Assert.Equal(1, b.Segment.MalformedFrames);
    }

    [Fact]
    public void Length_argument_larger_than_the_buffer_is_dropped()
    {
        var (b, frame, _) = ValidFrame();
        Assert.Equal(0, b.Segment.Process(frame, frame.Length + 1));
        Assert.Equal(0, b.Segment.Process(frame, 3));
    }

    [Fact]
    public void Fuzz_random_and_mutated_frames_never_throw()
    {
        var rng = new Random(20261122);
        var b = new Bench(3, 1);
        b.ToSafeOp();
        var f = new TestFrame();
        f.Add(TestBus.LRW, 0, 1, 64);
        f.Add(TestBus.FPRD, 0x1001, 0x0130, 6);
        f.Add(TestBus.BWR, 0, 0x0900, 4);
        var valid = f.Build();
        var buf = new byte[1600];
        for (int k = 0; k < 20_000; k++)
        {
            int len;
            if (k % 2 == 0)
            {
                len = rng.Next(0, buf.Length + 1);
                rng.NextBytes(buf.AsSpan(0, len));
                if (k % 4 == 0 && len >= 14)
                {
                    buf[12] = 0x88;
                    buf[13] = 0xA4;
                }
            }
            else
            {
                valid.AsSpan(0, f.Length).CopyTo(buf);
                len = f.Length;
                for (int m = rng.Next(1, 6); m > 0; m--) buf[rng.Next(12, len)] = (byte)rng.Next(256);
            }

            int r = b.Segment.Process(buf, len);
            Assert.True(r == 0 || r == len);
        }

        Assert.True(b.Segment.MalformedFrames > 0);
        Assert.True(b.Segment.FramesProcessed > 0);
    }
}

public class HostileConfigurationTests
{
    [Fact]
    public void SyncManagers_reaching_past_the_ESC_memory_or_into_registers_never_throw()
    {
        var b = new Bench(1, 0);
        b.ToOp();
        var bus = b.Bus;
        // Re-point SM3 past the end of memory, SM2 into the registers, SM1 onto the station address, all enabled.
        bus.Fpwr(0x1001, 0x081E, 0);
        bus.Fpwr(0x1001, 0x0818, TestBus.SmBytes(0x1FF0, 0xFFFF, 0x20, 1));
        bus.Fpwr(0x1001, 0x0816, 0);
        bus.Fpwr(0x1001, 0x0810, TestBus.SmBytes(0x0010, 0x0100, 0x64, 1));
        bus.Fpwr(0x1001, 0x080E, 0);
        bus.Fpwr(0x1001, 0x0808, TestBus.SmBytes(0x0010, 0x0080, 0x22, 1));
        bus.Fpwr(0x1001, 0x0610, TestBus.Fmmu(0x20000, 0x400, 0x1FF0, 3));
        for (int k = 0; k < 20; k++)
        {
            bus.SendLogical(TestBus.LRW, 0x20000, new byte[0x400]);
            bus.SendLogical(TestBus.LRW, Bench.LogicalBase, new byte[b.ImageBytes]);
            bus.Fprd(0x1001, 0x1FF0, 0x400);
            bus.Fpwr(0x1001, 0x1FF0, new byte[0x20]);
            bus.MailboxWrite(0x1001, 3, TestBus.SdoRequest(0x40, 0x1000, 0));
        }

        Assert.Equal(0x1001, bus.FprdU16(0x1001, 0x0010)); // no reply was written over the station address
    }
}
