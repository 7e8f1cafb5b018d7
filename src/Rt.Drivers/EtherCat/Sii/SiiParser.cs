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
    public static bool ChecksumValid(ReadOnlySpan<byte> image) => image.Length >= 2 * (SiiHeader.Checksum + 1) && Crc8(image[..SiiHeader.ChecksummedBytes]) == image[SiiHeader.ChecksummedBytes];

    /// <summary>Parses <paramref name="image"/> (bytes, little-endian words). <paramref name="source"/> names the slave for errors.</summary>
    public static SiiInfo Parse(ReadOnlySpan<byte> image, string source)
    {
        if (image.Length < FirstCategoryWord * 2)
            throw new InputError(source, $"word 0x{image.Length / 2:X4}", $"SII image of {image.Length} bytes is shorter than the 128-byte header (words 0x00–0x3F)");
        byte crc = Crc8(image[..SiiHeader.ChecksummedBytes]);
        if (crc != image[SiiHeader.ChecksummedBytes])
            throw new InputError(source, "word 0x0007", $"SII checksum 0x{image[SiiHeader.ChecksummedBytes]:X2} does not match CRC-8 0x{crc:X2} of words 0x0000–0x0006");

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
        while ((w + SiiHeader.CategoryHeaderWords) * 2 <= image.Length)
        {
            ushort type = Word(image, w);
            if (type == CategoryEnd)
            {
                ended = true;
                break;
            }
            int lengthWords = Word(image, w + 1);
            int dataStart = (w + SiiHeader.CategoryHeaderWords) * 2;
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
                    for (int i = 0; i + SiiSyncManagerLayout.Size <= data.Length; i += SiiSyncManagerLayout.Size)
                        syncs.Add(new SiiSyncManager(
                            BinaryPrimitives.ReadUInt16LittleEndian(data[(i + SiiSyncManagerLayout.Start)..]), BinaryPrimitives.ReadUInt16LittleEndian(data[(i + SiiSyncManagerLayout.Length)..]),
                            data[i + SiiSyncManagerLayout.Control], data[i + SiiSyncManagerLayout.Status], data[i + SiiSyncManagerLayout.Enable], (SyncManagerType)data[i + SiiSyncManagerLayout.Type]));
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
            if (generalRaw.Length < SiiGeneralLayout.MinimumSize)
                throw new InputError(source, $"word 0x{generalWord:X4}", $"SII General category has {generalRaw.Length} bytes, at least 14 expected");
            general = new SiiGeneral(S(generalRaw[SiiGeneralLayout.GroupName]), S(generalRaw[SiiGeneralLayout.ImageName]), S(generalRaw[SiiGeneralLayout.OrderName]), S(generalRaw[SiiGeneralLayout.DeviceName]),
                generalRaw[SiiGeneralLayout.CoeDetails], generalRaw[SiiGeneralLayout.FoeDetails], generalRaw[SiiGeneralLayout.EoeDetails], generalRaw[SiiGeneralLayout.Flags],
                BinaryPrimitives.ReadInt16LittleEndian(generalRaw.AsSpan(SiiGeneralLayout.EbusCurrent)));
        }

        foreach (var (type, word, data) in pdoRaw) ParsePdos(data, type == CategoryTxPdo ? tx : rx, S, source, word);
        foreach (var (word, data) in dcRaw)
        {
            if (data.Length % SiiDcLayout.Size != 0 && data.Length < SiiDcLayout.Size)
                throw new InputError(source, $"word 0x{word:X4}", $"SII DC category of {data.Length} bytes is not a multiple of {SiiDcLayout.Size}");
            for (int i = 0; i + SiiDcLayout.Size <= data.Length; i += SiiDcLayout.Size)
            {
                var d = data.AsSpan(i);
                dc.Add(new SiiDcMode(BinaryPrimitives.ReadUInt32LittleEndian(d[SiiDcLayout.Sync0Cycle..]), BinaryPrimitives.ReadUInt32LittleEndian(d[SiiDcLayout.Sync0Shift..]),
                    BinaryPrimitives.ReadUInt32LittleEndian(d[SiiDcLayout.Sync1Shift..]), BinaryPrimitives.ReadInt16LittleEndian(d[SiiDcLayout.Sync1CycleFactor..]),
                    BinaryPrimitives.ReadUInt16LittleEndian(d[SiiDcLayout.AssignActivate..]), BinaryPrimitives.ReadInt16LittleEndian(d[SiiDcLayout.Sync0CycleFactor..]), S(d[SiiDcLayout.NameIndex])));
            }
        }

        return new SiiInfo
        {
            Alias = Word(image, SiiHeader.Alias),
            Identity = new SlaveIdentity(DWord(image, SiiHeader.Vendor), DWord(image, SiiHeader.Product), DWord(image, SiiHeader.Revision), DWord(image, SiiHeader.Serial)),
            BootstrapReceiveOffset = Word(image, SiiHeader.BootstrapReceiveOffset),
            BootstrapReceiveSize = Word(image, SiiHeader.BootstrapReceiveSize),
            BootstrapSendOffset = Word(image, SiiHeader.BootstrapSendOffset),
            BootstrapSendSize = Word(image, SiiHeader.BootstrapSendSize),
            MailboxReceiveOffset = Word(image, SiiHeader.MailboxReceiveOffset),
            MailboxReceiveSize = Word(image, SiiHeader.MailboxReceiveSize),
            MailboxSendOffset = Word(image, SiiHeader.MailboxSendOffset),
            MailboxSendSize = Word(image, SiiHeader.MailboxSendSize),
            Protocols = (MailboxProtocols)Word(image, SiiHeader.Protocols),
            EepromBytes = (Word(image, SiiHeader.EepromSize) + 1) * 128, // (kbit + 1) × 128 bytes
            Version = Word(image, SiiHeader.Version),
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
        while (at + SiiPdoLayout.Size <= data.Length)
        {
            ushort index = BinaryPrimitives.ReadUInt16LittleEndian(data[(at + SiiPdoLayout.Index)..]);
            int entries = data[at + SiiPdoLayout.EntryCount];
            byte sm = data[at + SiiPdoLayout.SyncManager];
            string name = s(data[at + SiiPdoLayout.NameIndex]);
            at += SiiPdoLayout.Size;
            if (at + entries * SiiPdoEntryLayout.Size > data.Length)
                throw new InputError(source, $"word 0x{word + at / 2:X4}", $"SII PDO 0x{index:X4} announces {entries} entries, more than its category holds");
            var list = new List<PdoEntry>(entries);
            for (int e = 0; e < entries; e++, at += SiiPdoEntryLayout.Size)
                list.Add(new PdoEntry(BinaryPrimitives.ReadUInt16LittleEndian(data[(at + SiiPdoEntryLayout.Index)..]), data[at + SiiPdoEntryLayout.SubIndex],
                    data[at + SiiPdoEntryLayout.BitLength], s(data[at + SiiPdoEntryLayout.NameIndex]), data[at + SiiPdoEntryLayout.DataType]));
            into.Add(new Pdo(index, sm, name, list));
        }
    }
}
