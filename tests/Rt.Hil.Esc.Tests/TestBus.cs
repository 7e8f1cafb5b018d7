using System.Buffers.Binary;
using Rt.Hil.Esc.Segment;

namespace Rt.Hil.Esc.Tests;

/// <summary>A minimal test master over <see cref="EscSegment"/>: one datagram per frame, plus mailbox/SDO helpers.</summary>
internal sealed class TestBus(EscSegment segment)
{
    public const byte NOP = 0, APRD = 1, APWR = 2, APRW = 3, FPRD = 4, FPWR = 5, FPRW = 6, BRD = 7, BWR = 8, BRW = 9,
        LRD = 10, LWR = 11, LRW = 12, ARMW = 13, FRMW = 14;

    public EscSegment Segment { get; } = segment;
    private byte _counter;

    public (int Wkc, byte[] Data, ushort Adp) Send(byte cmd, ushort adp, ushort ado, byte[] data)
    {
        var f = new TestFrame();
        f.Add(cmd, adp, ado, data);
        var buf = f.Build();
        int n = Segment.Process(buf, f.Length);
        Assert.Equal(f.Length, n);
        return (f.Wkc(0), f.Data(0).ToArray(), f.Adp(0));
    }

    public (int Wkc, byte[] Data) SendLogical(byte cmd, uint lad, byte[] data)
    {
        var f = new TestFrame();
        f.AddLogical(cmd, lad, data);
        var buf = f.Build();
        Assert.Equal(f.Length, Segment.Process(buf, f.Length));
        return (f.Wkc(0), f.Data(0).ToArray());
    }

    public int Fpwr(ushort station, ushort ado, params byte[] data) => Send(FPWR, station, ado, data).Wkc;

    public int FpwrU16(ushort station, ushort ado, ushort v) => Fpwr(station, ado, (byte)v, (byte)(v >> 8));

    public (int Wkc, byte[] Data) Fprd(ushort station, ushort ado, int len)
    {
        var r = Send(FPRD, station, ado, new byte[len]);
        return (r.Wkc, r.Data);
    }

    public ushort FprdU16(ushort station, ushort ado) => BinaryPrimitives.ReadUInt16LittleEndian(Fprd(station, ado, 2).Data);

    /// <summary>Assigns station addresses 0x1001.. by position (APWR 0x0010).</summary>
    public void AssignStations()
    {
        for (int i = 0; i < Segment.Slaves.Count; i++)
        {
            ushort a = (ushort)(0x1001 + i);
            Assert.Equal(1, Send(APWR, (ushort)(-i & 0xFFFF), 0x0010, [(byte)a, (byte)(a >> 8)]).Wkc);
        }
    }

    public static byte[] SmBytes(ushort start, ushort len, byte control, byte activate) =>
        [(byte)start, (byte)(start >> 8), (byte)len, (byte)(len >> 8), control, 0, activate, 0];

    public void SetupMailbox(ushort station)
    {
        var both = SmBytes(0x1000, 128, 0x26, 1).Concat(SmBytes(0x1080, 128, 0x22, 1)).ToArray();
        Assert.Equal(1, Fpwr(station, 0x0800, both));
    }

    public ushort RequestState(ushort station, byte state)
    {
        Assert.Equal(1, FpwrU16(station, 0x0120, state));
        return FprdU16(station, 0x0130);
    }

    /// <summary>Configures SM2/SM3 and FMMUs (outputs at logical 0x10000 + 0x100*pos, inputs at 0x20000 + 0x100*pos) and goes SAFEOP.</summary>
    public void ToSafeOp(ushort station, int outBytes, int inBytes, uint outLogical, uint inLogical)
    {
        if (outBytes > 0)
        {
            Assert.Equal(1, Fpwr(station, 0x0810, SmBytes(0x1100, (ushort)outBytes, 0x64, 1)));
            Assert.Equal(1, Fpwr(station, 0x0600, Fmmu(outLogical, (ushort)outBytes, 0x1100, 2)));
        }

        Assert.Equal(1, Fpwr(station, 0x0818, SmBytes(0x1180, (ushort)inBytes, 0x20, 1)));
        Assert.Equal(1, Fpwr(station, 0x0610, Fmmu(inLogical, (ushort)inBytes, 0x1180, 1)));
        Assert.Equal(0x04, RequestState(station, 0x04));
    }

    public static byte[] Fmmu(uint logical, ushort length, ushort physical, byte type, byte startBit = 0, byte stopBit = 7, byte physBit = 0)
    {
        var b = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(b, logical);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(4), length);
        b[6] = startBit;
        b[7] = stopBit;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(8), physical);
        b[10] = physBit;
        b[11] = type;
        b[12] = 1;
        return b;
    }

    /// <summary>Writes a mailbox request (whole 128-byte SM0) and returns the WKC.</summary>
    public int MailboxWrite(ushort station, byte type, ReadOnlySpan<byte> body, byte? counter = null)
    {
        var m = new byte[128];
        BinaryPrimitives.WriteUInt16LittleEndian(m, (ushort)body.Length);
        _counter = (byte)(_counter % 7 + 1);
        m[5] = (byte)(type | ((counter ?? _counter) << 4));
        body.CopyTo(m.AsSpan(6));
        return Fpwr(station, 0x1000, m);
    }

    /// <summary>Reads SM1 (whole 128 bytes); null if the mailbox was empty (WKC 0).</summary>
    public byte[]? MailboxRead(ushort station)
    {
        var (wkc, data) = Fprd(station, 0x1080, 128);
        return wkc == 0 ? null : data;
    }

    public byte[] Transact(ushort station, ReadOnlySpan<byte> coe)
    {
        Assert.Equal(1, MailboxWrite(station, 3, coe));
        Send(NOP, 0, 0, new byte[2]); // let the firmware run
        var reply = MailboxRead(station);
        Assert.NotNull(reply);
        return reply;
    }

    public static byte[] SdoRequest(byte cmd, ushort index, byte sub, uint data = 0, byte[]? extra = null)
    {
        var b = new byte[10 + (extra?.Length ?? 0)];
        BinaryPrimitives.WriteUInt16LittleEndian(b, 2 << 12);
        b[2] = cmd;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(3), index);
        b[5] = sub;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(6), data);
        extra?.CopyTo(b, 10);
        return b;
    }

    /// <summary>Expedited or normal upload; returns (abort code or 0, data).</summary>
    public (uint Abort, byte[] Data) Upload(ushort station, ushort index, byte sub)
    {
        var r = Transact(station, SdoRequest(0x40, index, sub));
        byte cmd = r[8];
        if (cmd == 0x80) return (BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(12)), []);
        if ((cmd & 0x02) != 0) return (0, r.AsSpan(12, 4 - ((cmd >> 2) & 3)).ToArray());
        int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(12));
        int mbxLen = BinaryPrimitives.ReadUInt16LittleEndian(r);
        var data = new List<byte>(r.AsSpan(16, Math.Min(size, mbxLen - 10)).ToArray());
        int toggle = 0;
        while (data.Count < size)
        {
            var s = Transact(station, SdoRequest((byte)(0x60 | (toggle << 4)), 0, 0));
            if (s[8] == 0x80) return (BinaryPrimitives.ReadUInt32LittleEndian(s.AsSpan(12)), []);
            Assert.Equal(toggle << 4, s[8] & 0x10);
            int len = BinaryPrimitives.ReadUInt16LittleEndian(s) - 3;
            if (len == 7) len = 7 - ((s[8] >> 1) & 7);
            data.AddRange(s.AsSpan(9, len).ToArray());
            toggle ^= 1;
            if ((s[8] & 1) != 0) break;
        }

        return (0, data.ToArray());
    }

    /// <summary>Expedited download of 1, 2 or 4 bytes; returns abort code or 0.</summary>
    public uint Download(ushort station, ushort index, byte sub, uint value, int size)
    {
        byte cmd = (byte)(0x23 | ((4 - size) << 2));
        var r = Transact(station, SdoRequest(cmd, index, sub, value));
        return r[8] == 0x80 ? BinaryPrimitives.ReadUInt32LittleEndian(r.AsSpan(12)) : (r[8] == 0x60 ? 0u : 0xFFFFFFFFu);
    }
}
