namespace Rt.Twin.Recording.Mcap;

/// <summary>One channel's place in the file: its id, topic and the message count so far.</summary>
public sealed record McapChannel(ushort Id, ushort SchemaId, string Topic, string MessageEncoding);

/// <summary>
/// Writes an MCAP file (https://mcap.dev/spec, major version 0) written here against the specification because no
/// .NET MCAP library exists: leading magic and Header; a data section of uncompressed Chunks (each with its CRC-32)
/// holding the Schema, Channel and Message records, each chunk followed by one MessageIndex per channel it holds;
/// Metadata records between chunks; DataEnd with the data section's CRC; a summary section (Schemas, Channels,
/// Statistics, ChunkIndexes, MetadataIndexes), a summary offset section (one SummaryOffset per group), the Footer
/// with the summary CRC, and the trailing magic. Chunks are uncompressed ("") or zstd (ZstdSharp, managed); the chunk
/// CRC is always of the uncompressed records, as the specification says.
/// Not real-time safe (file I/O); used on the recorder's writer thread and by offline converters. Messages must be
/// written in non-decreasing log time per channel for the indexes to be sorted.
/// </summary>
public sealed class McapWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly int _chunkSize;
    private readonly ByteSink _chunk;
    private readonly ByteSink _out = new(1 << 16);
    private readonly List<(ushort Id, string Name, string Encoding, byte[] Data)> _schemas = [];
    private readonly List<(McapChannel Channel, IReadOnlyList<KeyValuePair<string, string>> Metadata)> _channels = [];
    private readonly List<ChunkIndexEntry> _chunkIndexes = [];
    private readonly List<(ulong Offset, ulong Length, string Name)> _metadataIndexes = [];
    private List<(ulong LogTime, ulong Offset)>[] _index = new List<(ulong, ulong)>[8];
    private ulong[] _channelCounts = new ulong[8];
    private long _position;
    private uint _dataCrc = McapCrc32.Initial;
    private ulong _chunkStart = ulong.MaxValue, _chunkEnd;
    private ulong _messageStart = ulong.MaxValue, _messageEnd;
    private ulong _messageCount;
    private bool _closed;
    private readonly string _compression;
    private readonly ZstdSharp.Compressor? _zstd;
    private byte[] _compressed = [];

    private readonly record struct ChunkIndexEntry(ulong Start, ulong End, ulong Offset, ulong Length, (ushort Channel, ulong Offset)[] MessageIndexOffsets, ulong MessageIndexLength, ulong CompressedSize, ulong Size);

    /// <param name="chunkSize">Uncompressed bytes after which a chunk is closed (readers load a chunk at a time).</param>
    /// <param name="compression">"" (none) or "zstd" (level 1: the writer thread's budget is a few % of a core).</param>
    public McapWriter(Stream stream, string profile, string library, int chunkSize = 1 << 20, bool ownsStream = true, string compression = "")
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (compression is not ("" or "zstd")) throw new ArgumentException($"MCAP compression '{compression}': this writer does \"\" or \"zstd\"", nameof(compression));
        _compression = compression;
        if (compression == "zstd") _zstd = new ZstdSharp.Compressor(1);
        _stream = stream;
        _ownsStream = ownsStream;
        _chunkSize = chunkSize;
        _chunk = new ByteSink(chunkSize + (chunkSize >> 2));
        _out.Raw(McapFormat.Magic);
        int r = _out.BeginRecord(McapOpcode.Header);
        _out.String(profile);
        _out.String(library);
        _out.EndRecord(r);
        FlushOut(data: true);
    }

    /// <summary>Not real-time safe. Creates the file.</summary>
    public static McapWriter Create(string path, string profile, string library, int chunkSize = 1 << 20, string compression = "") =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), profile, library, chunkSize, compression: compression);

    /// <summary>Bytes written to the stream so far.</summary>
    public long Position => _position;

    public ulong MessageCount => _messageCount;

    /// <summary>Registers a schema (e.g. name "sensor_msgs/msg/JointState", encoding "ros2msg"); returns its id (≥ 1).</summary>
    public ushort AddSchema(string name, string encoding, ReadOnlySpan<byte> data)
    {
        var id = (ushort)(_schemas.Count + 1);
        _schemas.Add((id, name, encoding, data.ToArray()));
        WriteSchema(_chunk, _schemas[^1]);
        return id;
    }

    /// <summary>Registers a channel on <paramref name="topic"/> (e.g. message encoding "cdr"); returns it.</summary>
    public McapChannel AddChannel(ushort schemaId, string topic, string messageEncoding, IReadOnlyList<KeyValuePair<string, string>>? metadata = null)
    {
        var channel = new McapChannel((ushort)(_channels.Count + 1), schemaId, topic, messageEncoding);
        _channels.Add((channel, metadata ?? []));
        if (_index.Length <= channel.Id)
        {
            Array.Resize(ref _index, channel.Id * 2);
            Array.Resize(ref _channelCounts, channel.Id * 2);
        }
        _index[channel.Id] = new List<(ulong, ulong)>(_chunkSize / 256);
        WriteChannel(_chunk, _channels[^1]);
        return channel;
    }

    /// <summary>A Metadata record (outside chunks, as the specification requires): closes the open chunk first.</summary>
    public void AddMetadata(string name, IReadOnlyList<KeyValuePair<string, string>> values)
    {
        FlushChunk();
        ulong offset = (ulong)_position;
        int r = _out.BeginRecord(McapOpcode.Metadata);
        _out.String(name);
        _out.StringMap(values);
        _out.EndRecord(r);
        _metadataIndexes.Add((offset, (ulong)_out.Length, name));
        FlushOut(data: true);
    }

    /// <summary>Appends one message to the open chunk; closes the chunk when it reaches the chunk size.</summary>
    public void WriteMessage(McapChannel channel, uint sequence, ulong logTime, ulong publishTime, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var index = _index[channel.Id];
        index.Add((logTime, (ulong)_chunk.Length));
        int r = _chunk.BeginRecord(McapOpcode.Message);
        _chunk.U16(channel.Id);
        _chunk.U32(sequence);
        _chunk.U64(logTime);
        _chunk.U64(publishTime);
        _chunk.Raw(data);
        _chunk.EndRecord(r);
        if (logTime < _chunkStart) _chunkStart = logTime;
        if (logTime > _chunkEnd) _chunkEnd = logTime;
        if (logTime < _messageStart) _messageStart = logTime;
        if (logTime > _messageEnd) _messageEnd = logTime;
        _messageCount++;
        _channelCounts[channel.Id]++;
        if (_chunk.Length >= _chunkSize) FlushChunk();
    }

    /// <summary>Writes the open chunk and its message indexes to the stream.</summary>
    public void FlushChunk()
    {
        if (_chunk.Length == 0) return;
        bool anyMessage = _chunkStart != ulong.MaxValue;
        ulong start = anyMessage ? _chunkStart : 0, end = anyMessage ? _chunkEnd : 0;
        var records = _chunk.Written;
        var stored = records;
        if (_zstd != null)
        {
            int bound = ZstdSharp.Compressor.GetCompressBound(records.Length);
            if (_compressed.Length < bound) _compressed = new byte[bound];
            stored = _compressed.AsSpan(0, _zstd.Wrap(records, _compressed));
        }
        ulong chunkOffset = (ulong)_position;
        int r = _out.BeginRecord(McapOpcode.Chunk);
        _out.U64(start);
        _out.U64(end);
        _out.U64((ulong)records.Length);
        _out.U32(McapCrc32.Compute(records)); // of the uncompressed records
        _out.String(_compression);
        _out.U64((ulong)stored.Length);
        _out.Raw(stored);
        _out.EndRecord(r);
        ulong chunkLength = (ulong)_out.Length;
        var offsets = new List<(ushort, ulong)>();
        foreach (var (channel, _) in _channels)
        {
            var index = _index[channel.Id];
            if (index.Count == 0) continue;
            offsets.Add((channel.Id, chunkOffset + (ulong)_out.Length));
            int m = _out.BeginRecord(McapOpcode.MessageIndex);
            _out.U16(channel.Id);
            _out.U32((uint)(index.Count * 16));
            foreach (var (t, o) in index)
            {
                _out.U64(t);
                _out.U64(o);
            }
            _out.EndRecord(m);
            index.Clear();
        }
        ulong indexLength = (ulong)_out.Length - chunkLength;
        _chunkIndexes.Add(new ChunkIndexEntry(start, end, chunkOffset, chunkLength, [.. offsets], indexLength, (ulong)stored.Length, (ulong)records.Length));
        _chunk.Clear();
        _chunkStart = ulong.MaxValue;
        _chunkEnd = 0;
        FlushOut(data: true);
    }

    /// <summary>Closes the data section and writes the summary, summary offsets, footer and trailing magic.</summary>
    public void Close()
    {
        if (_closed) return;
        _closed = true;
        FlushChunk();
        int d = _out.BeginRecord(McapOpcode.DataEnd);
        // The data section's CRC covers every byte from the leading magic up to this record.
        _out.U32(McapCrc32.Final(_dataCrc));
        _out.EndRecord(d);
        FlushOut(data: false);

        ulong summaryStart = (ulong)_position;
        uint crc = McapCrc32.Initial;
        var groups = new List<(McapOpcode Op, ulong Start, ulong Length)>();
        void Group(McapOpcode op, Action write)
        {
            ulong at = (ulong)_position;
            write();
            if (_out.Length == 0) return;
            groups.Add((op, at, (ulong)_out.Length));
            crc = McapCrc32.Update(crc, _out.Written);
            FlushOut(data: false);
        }
        Group(McapOpcode.Schema, () => { foreach (var s in _schemas) WriteSchema(_out, s); });
        Group(McapOpcode.Channel, () => { foreach (var c in _channels) WriteChannel(_out, c); });
        Group(McapOpcode.Statistics, WriteStatistics);
        Group(McapOpcode.ChunkIndex, () => { foreach (var c in _chunkIndexes) WriteChunkIndex(c); });
        Group(McapOpcode.MetadataIndex, () =>
        {
            foreach (var (offset, length, name) in _metadataIndexes)
            {
                int r = _out.BeginRecord(McapOpcode.MetadataIndex);
                _out.U64(offset);
                _out.U64(length);
                _out.String(name);
                _out.EndRecord(r);
            }
        });
        ulong summaryOffsetStart = (ulong)_position;
        foreach (var (op, start, length) in groups)
        {
            int r = _out.BeginRecord(McapOpcode.SummaryOffset);
            _out.U8((byte)op);
            _out.U64(start);
            _out.U64(length);
            _out.EndRecord(r);
        }
        // The summary CRC covers the summary and summary offset sections and the footer up to its CRC field.
        // The footer's length is written up front (not patched afterwards) because the CRC covers it.
        _out.U8((byte)McapOpcode.Footer);
        _out.U64(McapFormat.FooterContentBytes);
        _out.U64(summaryStart);
        _out.U64(summaryOffsetStart);
        crc = McapCrc32.Update(crc, _out.Written);
        _out.U32(McapCrc32.Final(crc));
        _out.Raw(McapFormat.Magic);
        FlushOut(data: false);
        _stream.Flush();
    }

    public void Dispose()
    {
        try
        {
            Close();
        }
        finally
        {
            if (_ownsStream) _stream.Dispose();
            _zstd?.Dispose();
        }
    }

    private void WriteStatistics()
    {
        int r = _out.BeginRecord(McapOpcode.Statistics);
        _out.U64(_messageCount);
        _out.U16((ushort)_schemas.Count);
        _out.U32((uint)_channels.Count);
        _out.U32(0); // attachments
        _out.U32((uint)_metadataIndexes.Count);
        _out.U32((uint)_chunkIndexes.Count);
        _out.U64(_messageCount == 0 ? 0 : _messageStart);
        _out.U64(_messageCount == 0 ? 0 : _messageEnd);
        int at = _out.Length;
        _out.U32(0);
        foreach (var (channel, _) in _channels)
        {
            _out.U16(channel.Id);
            _out.U64(_channelCounts[channel.Id]);
        }
        _out.PatchU32(at, (uint)(_out.Length - at - 4));
        _out.EndRecord(r);
    }

    private void WriteChunkIndex(ChunkIndexEntry c)
    {
        int r = _out.BeginRecord(McapOpcode.ChunkIndex);
        _out.U64(c.Start);
        _out.U64(c.End);
        _out.U64(c.Offset);
        _out.U64(c.Length);
        _out.U32((uint)(c.MessageIndexOffsets.Length * 10));
        foreach (var (channel, offset) in c.MessageIndexOffsets)
        {
            _out.U16(channel);
            _out.U64(offset);
        }
        _out.U64(c.MessageIndexLength);
        _out.String(_compression);
        _out.U64(c.CompressedSize);
        _out.U64(c.Size);
        _out.EndRecord(r);
    }

    private static void WriteSchema(ByteSink sink, (ushort Id, string Name, string Encoding, byte[] Data) s)
    {
        int r = sink.BeginRecord(McapOpcode.Schema);
        sink.U16(s.Id);
        sink.String(s.Name);
        sink.String(s.Encoding);
        sink.Bytes32(s.Data);
        sink.EndRecord(r);
    }

    private static void WriteChannel(ByteSink sink, (McapChannel Channel, IReadOnlyList<KeyValuePair<string, string>> Metadata) c)
    {
        int r = sink.BeginRecord(McapOpcode.Channel);
        sink.U16(c.Channel.Id);
        sink.U16(c.Channel.SchemaId);
        sink.String(c.Channel.Topic);
        sink.String(c.Channel.MessageEncoding);
        sink.StringMap(c.Metadata);
        sink.EndRecord(r);
    }

    private void FlushOut(bool data)
    {
        var bytes = _out.Written;
        if (data) _dataCrc = McapCrc32.Update(_dataCrc, bytes);
        _stream.Write(bytes);
        _position += bytes.Length;
        _out.Clear();
    }
}
