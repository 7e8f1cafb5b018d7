namespace Rt.Twin.Recording.Mcap;

/// <summary>MCAP record opcodes (specification, major version 0).</summary>
public enum McapOpcode : byte
{
    Header = 0x01,
    Footer = 0x02,
    Schema = 0x03,
    Channel = 0x04,
    Message = 0x05,
    Chunk = 0x06,
    MessageIndex = 0x07,
    ChunkIndex = 0x08,
    Attachment = 0x09,
    AttachmentIndex = 0x0A,
    Statistics = 0x0B,
    Metadata = 0x0C,
    MetadataIndex = 0x0D,
    SummaryOffset = 0x0E,
    DataEnd = 0x0F,
}

/// <summary>Constants of the MCAP container: magic, record prefix, fixed record sizes.</summary>
public static class McapFormat
{
    /// <summary>0x89 "MCAP" '0' CR LF: leads and ends every file; '0' is the major version.</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'M', (byte)'C', (byte)'A', (byte)'P', (byte)'0', (byte)'\r', (byte)'\n'];

    /// <summary>Every record: u8 opcode | u64 content length | content.</summary>
    public const int RecordPrefixBytes = 1 + 8;

    /// <summary>Footer content: u64 summary_start | u64 summary_offset_start | u32 summary_crc.</summary>
    public const int FooterContentBytes = 8 + 8 + 4;

    /// <summary>Message content before the payload: u16 channel | u32 sequence | u64 log_time | u64 publish_time.</summary>
    public const int MessageFixedBytes = 2 + 4 + 8 + 8;
}
