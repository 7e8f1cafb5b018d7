using System.Buffers.Binary;
using System.Text;
using Rt.Core.Errors;

namespace Rt.Drivers.EtherCat.Sii;

/// <summary>
/// Parses an SII (EEPROM) image: header words 0x00–0x3F, then categories from word 0x40 (type, length in words, data)
/// up to the end marker 0xFFFF. The CRC-8 in word 7 is verified over bytes 0–13 (polynomial 0x07, initial 0xFF).
/// Bad images throw <see cref="InputError"/> naming the word offset. Not real-time safe.
/// </summary>
public static class SiiParser
{
    public const ushort CategoryNop = 0;
    public const ushort CategoryStrings = 10;
    public const ushort CategoryDataTypes = 20;
    public const ushort CategoryGeneral = 30;
    public const ushort CategoryFmmu = 40;
    public const ushort CategorySyncM = 41;
    public const ushort CategoryFmmuEx = 42;
    public const ushort CategorySyncUnit = 43;
    public const ushort CategoryTxPdo = 50;
    public const ushort CategoryRxPdo = 51;
    public const ushort CategoryDc = 60;
    public const ushort CategoryEnd = 0xFFFF;

    /// <summary>First word of the category area.</summary>
    public const int FirstCategoryWord = 0x40;

    /// <summary>CRC-8 (poly 0x07, init 0xFF, no reflection, no final XOR) as used for the SII configuration-area checksum.</summary>
    public static byte Crc8(ReadOnlySpan<byte> data)
    {
        byte crc = 0xFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (byte)((crc & 0x80) != 0 ? (crc << 1) ^ 0x07 : crc << 1);
        }
        return crc;
    }

    /// <summary>Whether <paramref name="image"/> holds at least the header and whether its checksum is right.</summary>
    public static bool ChecksumValid(ReadOnlySpan<byte> image) => image.Length >= 16 && Crc8(image[..14]) == image[14];

    /// <summary>Parses <paramref name="image"/> (bytes, little-endian words). <paramref name="source"/> names the slave for errors.</summary>
    public static SiiInfo Parse(ReadOnlySpan<byte> image, string source)
    {
        if (image.Length < FirstCategoryWord * 2)
            throw new InputError(source, $"word 0x{image.Length / 2:X4}", $"SII image of {image.Length} bytes is shorter than the 128-byte header (words 0x00–0x3F)");
        byte crc = Crc8(image[..14]);
        if (crc != image[14])
            throw new InputError(source, "word 0x0007", $"SII checksum 0x{image[14]:X2} does not match CRC-8 0x{crc:X2} of words 0x0000–0x0006");

        static ushort Word(ReadOnlySpan<byte> img, int word) => BinaryPrimitives.ReadUInt16LittleEndian(img.Slice(word * 2, 2));
        static uint DWord(ReadOnlySpan<byte> img, int word) => BinaryPrimitives.ReadUInt32LittleEndian(img.Slice(word * 2, 4));

        var strings = new List<string>();
        var fmmus = new List<byte>();
        var syncs = new List<SiiSyncManager>();
        var tx = new List<Pdo>();
        var rx = new List<Pdo>();
        var dc = new List<SiiDcMode>();
        var categories = new List<ushort>();
        byte[]? generalRaw = null;
        int generalWord = 0;
        var pdoRaw = new List<(ushort type, int word, byte[] data)>();
        var dcRaw = new List<(int word, byte[] data)>();

        int w = FirstCategoryWord;
        bool ended = false;
        while ((w + 2) * 2 <= image.Length)
        {
            ushort type = Word(image, w);
            if (type == CategoryEnd)
            {
                ended = true;
                break;
            }
            int lengthWords = Word(image, w + 1);
            int dataStart = (w + 2) * 2;
            if (dataStart + lengthWords * 2 > image.Length)
                throw new InputError(source, $"word 0x{w:X4}", $"SII category {type} announces {lengthWords} words, past the end of the {image.Length / 2}-word image");
            var data = image.Slice(dataStart, lengthWords * 2);
            categories.Add(type);
            switch (type)
            {
                case CategoryStrings:
                    ParseStrings(data, strings, source, w + 2);
                    break;
                case CategoryGeneral:
                    generalRaw = data.ToArray();
                    generalWord = w + 2;
                    break;
                case CategoryFmmu:
                    foreach (byte b in data) if (b != 0xFF) fmmus.Add(b);
                    break;
                case CategorySyncM:
                    for (int i = 0; i + 8 <= data.Length; i += 8)
                        syncs.Add(new SiiSyncManager(
                            BinaryPrimitives.ReadUInt16LittleEndian(data[i..]), BinaryPrimitives.ReadUInt16LittleEndian(data[(i + 2)..]),
                            data[i + 4], data[i + 5], data[i + 6], (SyncManagerType)data[i + 7]));
                    break;
                case CategoryTxPdo:
                case CategoryRxPdo:
                    pdoRaw.Add((type, w + 2, data.ToArray()));
                    break;
                case CategoryDc:
                    dcRaw.Add((w + 2, data.ToArray()));
                    break;
            }
            w += 2 + lengthWords;
        }
        if (!ended)
            throw new InputError(source, $"word 0x{w:X4}", "SII category list ends without the 0xFFFF end marker");

        string S(int index) => index >= 1 && index <= strings.Count ? strings[index - 1] : "";
        SiiGeneral? general = null;
        if (generalRaw is not null)
        {
            if (generalRaw.Length < 14)
                throw new InputError(source, $"word 0x{generalWord:X4}", $"SII General category has {generalRaw.Length} bytes, at least 14 expected");
            general = new SiiGeneral(S(generalRaw[0]), S(generalRaw[1]), S(generalRaw[2]), S(generalRaw[3]),
                generalRaw[5], generalRaw[6], generalRaw[7], generalRaw[11], BinaryPrimitives.ReadInt16LittleEndian(generalRaw.AsSpan(12)));
        }

        foreach (var (type, word, data) in pdoRaw) ParsePdos(data, type == CategoryTxPdo ? tx : rx, S, source, word);
        foreach (var (word, data) in dcRaw)
        {
            if (data.Length % 24 != 0 && data.Length < 24)
                throw new InputError(source, $"word 0x{word:X4}", $"SII DC category of {data.Length} bytes is not a multiple of 24");
            for (int i = 0; i + 24 <= data.Length; i += 24)
            {
                var d = data.AsSpan(i);
                dc.Add(new SiiDcMode(BinaryPrimitives.ReadUInt32LittleEndian(d), BinaryPrimitives.ReadUInt32LittleEndian(d[4..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(d[8..]), BinaryPrimitives.ReadInt16LittleEndian(d[12..]),
                    BinaryPrimitives.ReadUInt16LittleEndian(d[14..]), BinaryPrimitives.ReadInt16LittleEndian(d[16..]), S(d[18])));
            }
        }

        return new SiiInfo
        {
            Alias = Word(image, 0x04),
            Identity = new SlaveIdentity(DWord(image, 0x08), DWord(image, 0x0A), DWord(image, 0x0C), DWord(image, 0x0E)),
            BootstrapReceiveOffset = Word(image, 0x14),
            BootstrapReceiveSize = Word(image, 0x15),
            BootstrapSendOffset = Word(image, 0x16),
            BootstrapSendSize = Word(image, 0x17),
            MailboxReceiveOffset = Word(image, 0x18),
            MailboxReceiveSize = Word(image, 0x19),
            MailboxSendOffset = Word(image, 0x1A),
            MailboxSendSize = Word(image, 0x1B),
            Protocols = (MailboxProtocols)Word(image, 0x1C),
            EepromBytes = (Word(image, 0x3E) + 1) * 128,
            Version = Word(image, 0x3F),
            Strings = strings,
            General = general,
            Fmmus = fmmus,
            SyncManagers = syncs,
            TxPdos = tx,
            RxPdos = rx,
            DcModes = dc,
            Categories = categories,
        };
    }

    private static void ParseStrings(ReadOnlySpan<byte> data, List<string> strings, string source, int word)
    {
        if (data.Length == 0) return;
        int count = data[0];
        int at = 1;
        for (int i = 0; i < count; i++)
        {
            if (at >= data.Length)
                throw new InputError(source, $"word 0x{word + at / 2:X4}", $"SII strings category ends after {i} of {count} strings");
            int length = data[at++];
            if (at + length > data.Length)
                throw new InputError(source, $"word 0x{word + at / 2:X4}", $"SII string {i + 1} of {length} bytes runs past the strings category");
            strings.Add(Encoding.Latin1.GetString(data.Slice(at, length)));
            at += length;
        }
    }

    private static void ParsePdos(ReadOnlySpan<byte> data, List<Pdo> into, Func<int, string> s, string source, int word)
    {
        int at = 0;
        while (at + 8 <= data.Length)
        {
            ushort index = BinaryPrimitives.ReadUInt16LittleEndian(data[at..]);
            int entries = data[at + 2];
            byte sm = data[at + 3];
            string name = s(data[at + 5]);
            at += 8;
            if (at + entries * 8 > data.Length)
                throw new InputError(source, $"word 0x{word + at / 2:X4}", $"SII PDO 0x{index:X4} announces {entries} entries, more than its category holds");
            var list = new List<PdoEntry>(entries);
            for (int e = 0; e < entries; e++, at += 8)
                list.Add(new PdoEntry(BinaryPrimitives.ReadUInt16LittleEndian(data[at..]), data[at + 2], data[at + 5], s(data[at + 3]), data[at + 4]));
            into.Add(new Pdo(index, sm, name, list));
        }
    }
}
