namespace Rt.Drivers.EtherCat.Frame;

/// <summary>Why a frame could not be decoded.</summary>
public enum FrameErrorKind : byte
{
    None = 0,
    /// <summary>Shorter than an Ethernet + EtherCAT header.</summary>
    TooShortForHeader,
    /// <summary>EtherType is not 0x88A4.</summary>
    NotEtherCat,
    /// <summary>EtherCAT header type is not 1 (datagrams).</summary>
    UnsupportedType,
    /// <summary>EtherCAT header length runs past the end of the frame.</summary>
    HeaderLengthPastEnd,
    /// <summary>A datagram header does not fit in what remains.</summary>
    TruncatedDatagramHeader,
    /// <summary>A datagram's data + WKC runs past the EtherCAT payload.</summary>
    DatagramLengthPastEnd,
    /// <summary>Command byte above 14.</summary>
    UnknownCommand,
    /// <summary>More datagrams than the caller's table can hold.</summary>
    TooManyDatagrams,
    /// <summary>The datagrams do not add up to the EtherCAT header length (M bit clear too early).</summary>
    LengthMismatch,
    /// <summary>A reply datagram's index, command, address, length or position does not match the request (detail: <see cref="ReplyMismatchDetail"/>).</summary>
    ReplyMismatch,
    /// <summary>The source MAC lacks the bit a slave sets when it processes a frame: the frame never passed a slave (another host, or an echo).</summary>
    NotProcessedBySlave,
}

/// <summary>
/// A structured decode error: what is wrong and at which byte offset of the frame. A value, never thrown on the tick path.
/// </summary>
public readonly record struct FrameError(FrameErrorKind Kind, int Offset, int Detail = 0)
{
    public static FrameError None => default;

    public bool IsError => Kind != FrameErrorKind.None;

    /// <summary>Human-readable reason. Not real-time safe (allocates a string).</summary>
    public override string ToString() => Kind switch
    {
        FrameErrorKind.None => "no error",
        FrameErrorKind.TooShortForHeader => $"frame of {Detail} bytes is shorter than the 16-byte Ethernet + EtherCAT header (offset {Offset})",
        FrameErrorKind.NotEtherCat => $"EtherType 0x{Detail:X4} at offset {Offset} is not EtherCAT (0x88A4)",
        FrameErrorKind.UnsupportedType => $"EtherCAT header type {Detail} at offset {Offset} is not 1 (datagrams)",
        FrameErrorKind.HeaderLengthPastEnd => $"EtherCAT header at offset {Offset} announces {Detail} bytes, more than the frame holds",
        FrameErrorKind.TruncatedDatagramHeader => $"datagram header at offset {Offset} is truncated ({Detail} bytes left, 10 needed)",
        FrameErrorKind.DatagramLengthPastEnd => $"datagram at offset {Offset} announces {Detail} data bytes + WKC, more than the EtherCAT payload holds",
        FrameErrorKind.UnknownCommand => $"datagram at offset {Offset} has unknown command {Detail} (0..14 defined)",
        FrameErrorKind.TooManyDatagrams => $"more than {Detail} datagrams (at offset {Offset})",
        FrameErrorKind.LengthMismatch => $"datagrams end at offset {Offset} but the EtherCAT header announces {Detail} bytes",
        FrameErrorKind.ReplyMismatch => $"reply datagram at offset {Offset} does not match the request: its {ReplyMismatchDetail.Name(Detail)} differs",
        FrameErrorKind.NotProcessedBySlave => $"source MAC at offset {Offset} lacks the processed bit 0x02: the frame did not pass a slave",
        _ => $"{Kind} at offset {Offset}",
    };
}
