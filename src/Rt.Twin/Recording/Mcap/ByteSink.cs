using System.Buffers.Binary;
using System.Text;

namespace Rt.Twin.Recording.Mcap;

/// <summary>
/// A growable little-endian byte buffer with MCAP's primitive encodings (u32-length-prefixed strings, bytes and maps).
/// Grows by doubling and is reused (<see cref="Clear"/>), so a writer that has reached its chunk size allocates no
/// more. Not real-time safe (may grow); used on the recorder's writer thread.
/// </summary>
internal sealed class ByteSink(int capacity)
{
    private byte[] _buffer = new byte[Math.Max(64, capacity)];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public Span<byte> Reserve(int bytes)
    {
        if (Length + bytes > _buffer.Length)
        {
            int size = _buffer.Length;
            while (size < Length + bytes) size *= 2;
            Array.Resize(ref _buffer, size);
        }
        var span = _buffer.AsSpan(Length, bytes);
        Length += bytes;
        return span;
    }

    public void U8(byte v) => Reserve(1)[0] = v;
    public void U16(ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), v);
    public void U32(uint v) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), v);
    public void U64(ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), v);
    public void Raw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    /// <summary>MCAP String: u32 byte length | UTF-8.</summary>
    public void String(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        U32((uint)n);
        Encoding.UTF8.GetBytes(s, Reserve(n));
    }

    /// <summary>MCAP Bytes with a u32 length prefix.</summary>
    public void Bytes32(ReadOnlySpan<byte> b)
    {
        U32((uint)b.Length);
        Raw(b);
    }

    /// <summary>MCAP Map&lt;String, String&gt;: u32 byte length of the entries | (key, value)*.</summary>
    public void StringMap(IReadOnlyList<KeyValuePair<string, string>> map)
    {
        int at = Length;
        U32(0);
        foreach (var (k, v) in map)
        {
            String(k);
            String(v);
        }
        PatchU32(at, (uint)(Length - at - 4));
    }

    /// <summary>Starts a record: opcode and a length to patch in <see cref="EndRecord"/>. Returns the record's start.</summary>
    public int BeginRecord(McapOpcode op)
    {
        int at = Length;
        U8((byte)op);
        U64(0);
        return at;
    }

    public void EndRecord(int start) =>
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(start + 1), (ulong)(Length - start - McapFormat.RecordPrefixBytes));

    public void PatchU32(int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(at), v);
}
