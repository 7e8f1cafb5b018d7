using System.Buffers.Binary;
using System.Text;
using Rt.Core.Errors;

namespace Rt.Twin.Recording.Mcap;

/// <summary>A message read from an MCAP file: its channel, times and payload (a slice of the file's bytes).</summary>
public readonly ref struct McapMessage(McapChannel channel, uint sequence, ulong logTime, ulong publishTime, ReadOnlySpan<byte> data)
{
    public McapChannel Channel { get; } = channel;
    public uint Sequence { get; } = sequence;
    public ulong LogTime { get; } = logTime;
    public ulong PublishTime { get; } = publishTime;
    public ReadOnlySpan<byte> Data { get; } = data;
}

/// <summary>
/// Reads an MCAP file (uncompressed or zstd chunks) front to back (the data section, descending into chunks and checking each chunk's
/// CRC-32 and the data section's CRC): schemas, channels, metadata and messages in file order. Enough for Rt's own
/// recordings and for tests of the writer's layout; not a general MCAP reader (lz4/bz2 chunks are refused with a
/// clear message). Malformed input is an <see cref="InputError"/> naming the byte offset. Not real-time safe.
/// </summary>
public sealed class McapReader
{
    public delegate void MessageHandler(in McapMessage message);

    private readonly string _source;

    private McapReader(string source) => _source = source;

    public Dictionary<ushort, (string Name, string Encoding, byte[] Data)> Schemas { get; } = [];
    public Dictionary<ushort, McapChannel> Channels { get; } = [];
    public Dictionary<ushort, IReadOnlyList<KeyValuePair<string, string>>> ChannelMetadata { get; } = [];
    public List<(string Name, IReadOnlyList<KeyValuePair<string, string>> Values)> Metadata { get; } = [];
    public string Profile { get; private set; } = "";
    public string Library { get; private set; } = "";
    public int Chunks { get; private set; }

    public static bool HasMagic(ReadOnlySpan<byte> bytes) => bytes.Length >= 8 && bytes[..8].SequenceEqual(McapFormat.Magic);

    /// <summary>Parses <paramref name="bytes"/>, calling <paramref name="onMessage"/> for every message in file order.</summary>
    public static McapReader Read(ReadOnlySpan<byte> bytes, string source, MessageHandler? onMessage)
    {
        var r = new McapReader(source);
        r.Parse(bytes, onMessage);
        return r;
    }

    private void Parse(ReadOnlySpan<byte> bytes, MessageHandler? onMessage)
    {
        if (!HasMagic(bytes)) throw Error(0, $"not an MCAP file: the first 8 bytes are {Convert.ToHexString(bytes[..Math.Min(8, bytes.Length)])}, expected {Convert.ToHexString(McapFormat.Magic)}");
        if (bytes.Length < 16 || !bytes[^8..].SequenceEqual(McapFormat.Magic))
            throw Error(bytes.Length, "the file does not end with the MCAP magic (the recording was cut off before its footer)");
        long pos = 8;
        bool first = true;
        while (true)
        {
            var op = NextRecord(bytes, pos, out var content, out long next);
            if (first && op != McapOpcode.Header) throw Error(pos, $"the first record is opcode 0x{(byte)op:X2}, expected the Header (0x01)");
            first = false;
            switch (op)
            {
                case McapOpcode.Header:
                {
                    int o = 0;
                    Profile = String(content, ref o, pos);
                    Library = String(content, ref o, pos);
                    break;
                }
                case McapOpcode.Chunk:
                    ReadChunk(content, pos, onMessage);
                    break;
                case McapOpcode.Metadata:
                {
                    int o = 0;
                    string name = String(content, ref o, pos);
                    Metadata.Add((name, Map(content, ref o, pos)));
                    break;
                }
                case McapOpcode.DataEnd:
                {
                    uint crc = BinaryPrimitives.ReadUInt32LittleEndian(Need(content, 0, 4, pos));
                    if (crc != 0 && crc != McapCrc32.Compute(bytes[..(int)pos]))
                        throw Error(pos, $"data section CRC 0x{crc:X8} does not match the bytes (0x{McapCrc32.Compute(bytes[..(int)pos]):X8})");
                    return;
                }
                case McapOpcode.Footer:
                    return;
                default:
                    Record(op, content, pos, onMessage);
                    break;
            }
            pos = next;
        }
    }

    private void ReadChunk(ReadOnlySpan<byte> content, long at, MessageHandler? onMessage)
    {
        int o = 0;
        Need(content, 0, 28, at);
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(content[16..]);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(content[24..]);
        o = 28;
        string compression = String(content, ref o, at);
        if (compression is not ("" or "zstd")) throw Error(at, $"chunk compressed with '{compression}': this reader takes uncompressed and zstd chunks (rt writes those; convert with `mcap convert --compression zstd`)");
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(Need(content, o, 8, at));
        o += 8;
        if ((ulong)(content.Length - o) < length || (compression.Length == 0 && length != size) || size > int.MaxValue)
            throw Error(at, $"chunk records of {length} bytes do not match its uncompressed size {size} or the record's length");
        ReadOnlySpan<byte> records = content.Slice(o, (int)length);
        if (compression == "zstd")
        {
            var plain = new byte[size];
            int n;
            try
            {
                using var zstd = new ZstdSharp.Decompressor();
                n = zstd.Unwrap(records, plain);
            }
            catch (ZstdSharp.ZstdException e)
            {
                throw new InputError(_source, $"offset {at}", $"zstd chunk does not decompress: {e.Message}", e);
            }
            if ((ulong)n != size) throw Error(at, $"zstd chunk decompresses to {n} bytes, its header says {size}");
            records = plain;
        }
        if (crc != 0 && McapCrc32.Compute(records) != crc) throw Error(at, $"chunk CRC 0x{crc:X8} does not match its records (0x{McapCrc32.Compute(records):X8})");
        Chunks++;
        long pos = 0, baseOffset = at + McapFormat.RecordPrefixBytes + o;
        while (pos < records.Length)
        {
            var op = NextRecord(records, pos, out var inner, out long next, baseOffset);
            Record(op, inner, baseOffset + pos, onMessage);
            pos = next;
        }
    }

    private void Record(McapOpcode op, ReadOnlySpan<byte> content, long at, MessageHandler? onMessage)
    {
        int o = 0;
        switch (op)
        {
            case McapOpcode.Schema:
            {
                ushort id = BinaryPrimitives.ReadUInt16LittleEndian(Need(content, 0, 2, at));
                o = 2;
                string name = String(content, ref o, at);
                string encoding = String(content, ref o, at);
                uint n = BinaryPrimitives.ReadUInt32LittleEndian(Need(content, o, 4, at));
                Schemas[id] = (name, encoding, Need(content, o + 4, (int)n, at).ToArray());
                break;
            }
            case McapOpcode.Channel:
            {
                ushort id = BinaryPrimitives.ReadUInt16LittleEndian(Need(content, 0, 4, at));
                ushort schema = BinaryPrimitives.ReadUInt16LittleEndian(content[2..]);
                o = 4;
                string topic = String(content, ref o, at);
                string encoding = String(content, ref o, at);
                if (schema != 0 && !Schemas.ContainsKey(schema)) throw Error(at, $"channel {id} ('{topic}') names schema {schema}, which no earlier record defines");
                Channels[id] = new McapChannel(id, schema, topic, encoding);
                ChannelMetadata[id] = Map(content, ref o, at);
                break;
            }
            case McapOpcode.Message:
            {
                Need(content, 0, McapFormat.MessageFixedBytes, at);
                ushort id = BinaryPrimitives.ReadUInt16LittleEndian(content);
                if (!Channels.TryGetValue(id, out var channel)) throw Error(at, $"message on channel {id}, which no earlier record defines");
                onMessage?.Invoke(new McapMessage(channel, BinaryPrimitives.ReadUInt32LittleEndian(content[2..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(content[6..]), BinaryPrimitives.ReadUInt64LittleEndian(content[14..]), content[McapFormat.MessageFixedBytes..]));
                break;
            }
            default:
                break; // indexes, attachments and others carry nothing this reader needs
        }
    }

    private McapOpcode NextRecord(ReadOnlySpan<byte> bytes, long pos, out ReadOnlySpan<byte> content, out long next, long baseOffset = 0)
    {
        if (pos + McapFormat.RecordPrefixBytes > bytes.Length) throw Error(baseOffset + pos, $"a record prefix needs {McapFormat.RecordPrefixBytes} bytes, {bytes.Length - pos} remain");
        var op = (McapOpcode)bytes[(int)pos];
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(int)(pos + 1)..]);
        long start = pos + McapFormat.RecordPrefixBytes;
        if (length > (ulong)(bytes.Length - start)) throw Error(baseOffset + pos, $"record 0x{(byte)op:X2} declares {length} bytes, {bytes.Length - start} remain");
        content = bytes.Slice((int)start, (int)length);
        next = start + (long)length;
        return op;
    }

    private string String(ReadOnlySpan<byte> content, ref int o, long at)
    {
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(Need(content, o, 4, at));
        var s = Need(content, o + 4, (int)Math.Min(n, int.MaxValue), at);
        o += 4 + s.Length;
        try
        {
            return new UTF8Encoding(false, true).GetString(s);
        }
        catch (DecoderFallbackException e)
        {
            throw new InputError(_source, $"offset {at}", "a string in this record is not valid UTF-8", e);
        }
    }

    private List<KeyValuePair<string, string>> Map(ReadOnlySpan<byte> content, ref int o, long at)
    {
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(Need(content, o, 4, at));
        o += 4;
        int end = o + (int)Math.Min(n, int.MaxValue);
        Need(content, o, end - o, at);
        var map = new List<KeyValuePair<string, string>>();
        while (o < end)
        {
            string k = String(content, ref o, at);
            string v = String(content, ref o, at);
            map.Add(new(k, v));
        }
        if (o != end) throw Error(at, $"a map's entries run {o - end} bytes past its declared length {n}");
        return map;
    }

    private ReadOnlySpan<byte> Need(ReadOnlySpan<byte> content, int o, int n, long at)
    {
        if (o < 0 || n < 0 || o + (long)n > content.Length) throw Error(at, $"record of {content.Length} bytes ends before a field of {n} bytes at {o}");
        return content.Slice(o, n);
    }

    private InputError Error(long offset, string problem) => new(_source, $"offset {offset}", problem);
}
