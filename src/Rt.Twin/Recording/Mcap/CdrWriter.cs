using System.Buffers.Binary;
using System.Text;

namespace Rt.Twin.Recording.Mcap;

/// <summary>
/// Serialises ROS 2 messages in CDR (XCDR1, little-endian, the "cdr" message encoding of ROS 2 bags): a 4-byte
/// encapsulation header 00 01 00 00, then fields in order, each primitive aligned to its own size (8 for float64/int64)
/// counted from the end of the header; strings as u32 length (incl. the NUL) + UTF-8 + NUL; sequences as u32 count +
/// elements; fixed arrays as elements only. Writes into a caller-owned buffer that it grows when needed, so reuse
/// allocates nothing once warm. Not real-time safe (may grow); used on the recorder's writer thread.
/// </summary>
public sealed class CdrWriter(int capacity = 4096)
{
    private const int HeaderBytes = 4;
    private byte[] _buffer = new byte[capacity];
    private int _length;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Starts a message: the little-endian CDR encapsulation header.</summary>
    public CdrWriter Begin()
    {
        _length = 0;
        var h = Reserve(HeaderBytes);
        h[0] = 0x00;
        h[1] = 0x01; // CDR_LE
        h[2] = 0x00;
        h[3] = 0x00;
        return this;
    }

    public void Bool(bool v) => Reserve(1)[0] = v ? (byte)1 : (byte)0;
    public void Int16(short v) => BinaryPrimitives.WriteInt16LittleEndian(Aligned(2), v);
    public void Int32(int v) => BinaryPrimitives.WriteInt32LittleEndian(Aligned(4), v);
    public void UInt32(uint v) => BinaryPrimitives.WriteUInt32LittleEndian(Aligned(4), v);
    public void Int64(long v) => BinaryPrimitives.WriteInt64LittleEndian(Aligned(8), v);
    public void Float64(double v) => BinaryPrimitives.WriteDoubleLittleEndian(Aligned(8), v);

    public void String(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        UInt32((uint)(n + 1));
        var span = Reserve(n + 1);
        Encoding.UTF8.GetBytes(s, span);
        span[n] = 0;
    }

    /// <summary>builtin_interfaces/Time from nanoseconds: int32 sec, uint32 nanosec.</summary>
    public void Time(long ns)
    {
        Int32((int)Math.Floor(ns / 1e9));
        UInt32((uint)(ns - (long)Math.Floor(ns / 1e9) * 1_000_000_000L));
    }

    /// <summary>std_msgs/Header: stamp and frame_id.</summary>
    public void Header(long ns, string frameId)
    {
        Time(ns);
        String(frameId);
    }

    /// <summary>A float64[] sequence: count, then the values (aligned once; doubles stay aligned).</summary>
    public void Float64Sequence(ReadOnlySpan<double> values)
    {
        UInt32((uint)values.Length);
        Float64Array(values);
    }

    /// <summary>A float64[N] fixed array (no count).</summary>
    public void Float64Array(ReadOnlySpan<double> values)
    {
        if (values.Length == 0) return;
        var span = Aligned(8 * values.Length, 8);
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(span[(8 * i)..], values[i]);
    }

    public void BoolSequence(ReadOnlySpan<bool> values)
    {
        UInt32((uint)values.Length);
        var span = Reserve(values.Length);
        for (int i = 0; i < values.Length; i++) span[i] = values[i] ? (byte)1 : (byte)0;
    }

    public void StringSequence(IReadOnlyList<string> values)
    {
        UInt32((uint)values.Count);
        for (int i = 0; i < values.Count; i++) String(values[i]);
    }

    private Span<byte> Aligned(int bytes) => Aligned(bytes, bytes);

    private Span<byte> Aligned(int bytes, int alignment)
    {
        int pad = (alignment - (_length - HeaderBytes) % alignment) % alignment;
        if (pad > 0) Reserve(pad).Clear();
        return Reserve(bytes);
    }

    private Span<byte> Reserve(int bytes)
    {
        if (_length + bytes > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
        var span = _buffer.AsSpan(_length, bytes);
        _length += bytes;
        return span;
    }
}
