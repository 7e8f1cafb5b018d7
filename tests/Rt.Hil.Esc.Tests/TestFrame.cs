using System.Buffers.Binary;

namespace Rt.Hil.Esc.Tests;

/// <summary>
/// The tests' own EtherCAT frame writer/reader (independent of the master's codec): Ethernet header, EtherCAT header,
/// datagrams with their WKC, read back in place after the segment processed the frame.
/// </summary>
internal sealed class TestFrame
{
    private readonly List<(byte Cmd, uint Address, byte[] Data)> _datagrams = [];
    private readonly List<int> _offsets = [];

    public byte[] Buffer { get; private set; } = [];
    public int Length { get; private set; }

    public int Add(byte cmd, ushort adp, ushort ado, ReadOnlySpan<byte> data) =>
        AddLogical(cmd, (uint)(adp | (ado << 16)), data);

    public int Add(byte cmd, ushort adp, ushort ado, int length) => Add(cmd, adp, ado, new byte[length]);

    public int AddLogical(byte cmd, uint address, ReadOnlySpan<byte> data)
    {
        _datagrams.Add((cmd, address, data.ToArray()));
        return _datagrams.Count - 1;
    }

    public byte[] Build(bool vlan = false)
    {
        int payload = 0;
        foreach (var d in _datagrams) payload += 12 + d.Data.Length;
        int head = vlan ? 18 : 14;
        Length = Math.Max(60, head + 2 + payload);
        var f = new byte[Length + 32];
        for (int i = 0; i < 6; i++) f[i] = 0xFF;
        f[6] = 0x10; f[7] = 0x10; f[8] = 0x10; f[9] = 0x10; f[10] = 0x10; f[11] = 0x10;
        int o = 12;
        if (vlan)
        {
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(o), 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(o + 2), 0x0005);
            o += 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(o), 0x88A4);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(o + 2), (ushort)(payload | 0x1000));
        o += 4;
        _offsets.Clear();
        for (int i = 0; i < _datagrams.Count; i++)
        {
            var (cmd, addr, data) = _datagrams[i];
            _offsets.Add(o);
            f[o] = cmd;
            f[o + 1] = (byte)i;
            BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(o + 2), addr);
            ushort lenWord = (ushort)(data.Length | (i < _datagrams.Count - 1 ? 0x8000 : 0));
            BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(o + 6), lenWord);
            data.CopyTo(f.AsSpan(o + 10));
            o += 12 + data.Length;
        }

        Buffer = f;
        return f;
    }

    public Span<byte> Data(int i) => Buffer.AsSpan(_offsets[i] + 10, _datagrams[i].Data.Length);
    public ushort Wkc(int i) => BinaryPrimitives.ReadUInt16LittleEndian(Buffer.AsSpan(_offsets[i] + 10 + _datagrams[i].Data.Length));
    public ushort Adp(int i) => BinaryPrimitives.ReadUInt16LittleEndian(Buffer.AsSpan(_offsets[i] + 2));
    public byte Index(int i) => Buffer[_offsets[i] + 1];
}
