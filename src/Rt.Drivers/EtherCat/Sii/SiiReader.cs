using System.Buffers.Binary;
using Rt.Drivers.EtherCat.Transport;

namespace Rt.Drivers.EtherCat.Sii;

/// <summary>
/// Reads a slave's SII EEPROM through ESC registers 0x0500–0x050F (configured addressing): take EEPROM ownership
/// (0x0500), write {read command 0x0100, word address} at 0x0502, poll busy (0x0502 bit 15), read 4 or 8 bytes at 0x0508
/// (8 when 0x0502 bit 6 says so). Reads the header, then category by category up to the end marker. Not real-time safe.
/// </summary>
public sealed class SiiReader
{
    private const ushort CommandRead = 0x0100;
    private const ushort Busy = 0x8000;
    // Bits 13 (missing ACK / command error) and 14 (write-enable error) fail a command; bits 11/12 only report the
    // ESC's own load of the configuration area (checksum error / device info not loaded) and do not stop a read.
    private const ushort ErrorBits = 0x6000;
    private const ushort EightByteReads = 0x0040;
    private readonly EtherCatTransport _bus;

    public SiiReader(EtherCatTransport bus, long busyTimeoutNs = 20_000_000)
    {
        _bus = bus;
        BusyTimeoutNs = busyTimeoutNs;
    }

    /// <summary>How long the EEPROM may stay busy with one command (SOEM EC_TIMEOUTEEP: 20 ms), on the bus's clock.</summary>
    public long BusyTimeoutNs { get; }

    /// <summary>Reads the whole image (header + categories) of the slave at <paramref name="station"/>.</summary>
    public byte[] ReadImage(ushort station, int maxWords = 8192)
    {
        _bus.Write(station, EscRegister.EepromConfig, [0x02]);
        _bus.Write(station, EscRegister.EepromConfig, [0x00]);
        var image = new List<byte>(1024);
        ReadWords(station, 0, SiiParser.FirstCategoryWord, image);
        int w = SiiParser.FirstCategoryWord;
        while (w + 2 <= maxWords)
        {
            ReadWords(station, w, 2, image);
            ushort type = (ushort)(image[w * 2] | (image[w * 2 + 1] << 8)); // category header: type, length in words
            if (type == SiiParser.CategoryEnd) break;
            int length = image[w * 2 + 2] | (image[w * 2 + 3] << 8);
            if (w + 2 + length > maxWords)
                throw new EtherCatException($"station 0x{station:X4}: SII category at word 0x{w:X4} announces {length} words, past the {maxWords}-word limit");
            ReadWords(station, w + 2, length, image);
            w += 2 + length;
        }
        return image.ToArray();
    }

    /// <summary>Reads <paramref name="count"/> words from <paramref name="word"/> and appends them to <paramref name="into"/> (which must hold exactly <paramref name="word"/> words).</summary>
    private void ReadWords(ushort station, int word, int count, List<byte> into)
    {
        Span<byte> chunk = stackalloc byte[8];
        int end = word + count;
        int at = word;
        while (at < end)
        {
            int got = ReadChunk(station, at, chunk);
            int take = Math.Min(got / 2, end - at);
            for (int i = 0; i < take * 2; i++) into.Add(chunk[i]);
            at += take;
        }
    }

    /// <summary>One EEPROM read command; returns the number of bytes delivered (4 or 8).</summary>
    public int ReadChunk(ushort station, int word, Span<byte> data)
    {
        ushort status = WaitIdle(station, word);
        if ((status & ErrorBits) != 0) _bus.WriteU16(station, EscRegister.EepromControl, 0); // clear error bits (SOEM: NOP command)
        for (int attempt = 0; attempt < 3; attempt++)
        {
            // Control/status u16 at 0x0502 and the u32 word address at 0x0504, written together.
            Span<byte> cmd = stackalloc byte[EscRegister.EepromData - EscRegister.EepromControl];
            BinaryPrimitives.WriteUInt16LittleEndian(cmd, CommandRead);
            BinaryPrimitives.WriteUInt32LittleEndian(cmd[(EscRegister.EepromAddress - EscRegister.EepromControl)..], (uint)word);
            _bus.Write(station, EscRegister.EepromControl, cmd);
            status = WaitIdle(station, word);
            if ((status & ErrorBits) != 0) continue; // NACK: retry the command
            int n = (status & EightByteReads) != 0 ? 8 : 4;
            _bus.Read(station, EscRegister.EepromData, data[..n]);
            return n;
        }
        throw new EtherCatException($"station 0x{station:X4}: SII read of word 0x{word:X4} failed, EEPROM status 0x{status:X4}");
    }

    private ushort WaitIdle(ushort station, int word)
    {
        var clock = _bus.Clock;
        long deadline = clock.NowNs + BusyTimeoutNs;
        do
        {
            ushort s = _bus.ReadU16(station, EscRegister.EepromControl);
            if ((s & Busy) == 0) return s;
        }
        while (clock.NowNs < deadline);
        throw new EtherCatException($"station 0x{station:X4}: SII EEPROM stays busy reading word 0x{word:X4} for {BusyTimeoutNs / 1e6:0.###} ms");
    }
}
