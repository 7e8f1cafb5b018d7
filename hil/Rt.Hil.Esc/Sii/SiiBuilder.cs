using Rt.Hil.Esc.Esc;

namespace Rt.Hil.Esc.Sii;

/// <summary>One PDO entry as the SII PDO category lists it. Not real-time safe (prepare-time description).</summary>
public readonly record struct SiiPdoEntry(ushort Index, byte SubIndex, string Name, byte DataType, byte BitLength);

/// <summary>One PDO (0x16xx/0x1Axx) as the SII lists it. Not real-time safe (prepare-time description).</summary>
public sealed record SiiPdo(ushort Index, string Name, byte SyncManager, IReadOnlyList<SiiPdoEntry> Entries);

/// <summary>SyncManager type in the SII SyncM category.</summary>
public enum SiiSmType : byte { Unused = 0, MailboxOut = 1, MailboxIn = 2, Outputs = 3, Inputs = 4 }

/// <summary>Everything the SII image is generated from. Not real-time safe (plain description).</summary>
public sealed class SiiDescription
{
    public uint VendorId { get; init; }
    public uint ProductCode { get; init; }
    public uint Revision { get; init; }
    public uint SerialNumber { get; init; }
    public ushort Alias { get; init; }
    public string Name { get; init; } = "";
    public string GroupName { get; init; } = "";
    public string OrderCode { get; init; } = "";

    /// <summary>SM0..SM3 layout: mailbox out, mailbox in, outputs, inputs (a length-0 SM is listed disabled).</summary>
    public IReadOnlyList<SyncManagerLayout> SyncManagers { get; init; } = [];

    public IReadOnlyList<SiiPdo> RxPdos { get; init; } = [];
    public IReadOnlyList<SiiPdo> TxPdos { get; init; } = [];

    /// <summary>General category CoE details: bit 0 SDO, 1 SDO info, 2 PDO assign, 3 PDO config, 4 upload at startup, 5 complete access.</summary>
    public byte CoeDetails { get; init; } = 0x0D;

    /// <summary>Header word 0x1C mailbox protocols: bit 0 AoE, 1 EoE, 2 CoE, 3 FoE, 4 SoE, 5 VoE.</summary>
    public ushort MailboxProtocols { get; init; } = 0x0004;

    /// <summary>FMMU category usages (1 outputs, 2 inputs, 3 mailbox state), e.g. from the ESI's <c>Fmmu</c> elements;
    /// null: outputs/inputs for the non-empty process-data SMs, then mailbox state.</summary>
    public IReadOnlyList<byte>? Fmmus { get; init; }

    /// <summary>Test hook: write a wrong checksum into word 7.</summary>
    public bool CorruptChecksum { get; init; }
}

/// <summary>
/// Generates an SII (EEPROM) image per ETG.2010: the 64-word header with its CRC-8, then the strings, general, FMMU,
/// SyncM, TxPDO and RxPDO categories and the end marker. Not real-time safe (prepare-time).
/// </summary>
public static class SiiBuilder
{
    public const ushort CategoryStrings = 10, CategoryGeneral = 30, CategoryFmmu = 40, CategorySyncM = 41,
        CategoryTxPdo = 50, CategoryRxPdo = 51, CategoryDc = 60, CategoryEnd = 0xFFFF;

    /// <summary>Size of the generated EEPROM in words (2 KiB = 16 Kbit).</summary>
    public const int EepromWords = 1024;

    public static ushort[] Build(SiiDescription d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var words = new List<ushort>(new ushort[0x40]);
        var header = new ushort[0x40];
        header[0] = 0x0C05;  // PDI control: SPI slave; ESC config: enhanced link detection
        header[1] = 0x0000;
        header[2] = 0x03E8;  // SYNC pulse length (10 ns units)
        header[3] = 0x0000;
        header[4] = d.Alias;
        SetU32(header, 0x08, d.VendorId);
        SetU32(header, 0x0A, d.ProductCode);
        SetU32(header, 0x0C, d.Revision);
        SetU32(header, 0x0E, d.SerialNumber);
        var sms = d.SyncManagers;
        if (sms.Count >= 2)
        {
            header[0x18] = sms[0].Start;
            header[0x19] = sms[0].Length;
            header[0x1A] = sms[1].Start;
            header[0x1B] = sms[1].Length;
        }

        header[0x1C] = d.MailboxProtocols;      // mailbox protocols (CoE: 0x0004)
        header[0x3E] = EepromWords * 16 / 1024 - 1; // EEPROM size in Kbit minus one
        header[0x3F] = 0x0001;                 // version
        header[7] = (ushort)(d.CorruptChecksum ? SiiChecksum.Compute(header) ^ 0x5A : SiiChecksum.Compute(header));
        for (int i = 0; i < 0x40; i++) words[i] = header[i];

        // Strings: 1 = device name, 2 = group, 3 = order code, then PDO and entry names.
        var strings = new List<string> { d.Name, d.GroupName, d.OrderCode };
        byte StringIndex(string s)
        {
            if (string.IsNullOrEmpty(s)) return 0;
            int i = strings.IndexOf(s);
            if (i < 0)
            {
                strings.Add(s);
                i = strings.Count - 1;
            }

            return (byte)(i + 1);
        }

        var txPdo = PdoCategory(d.TxPdos, StringIndex);
        var rxPdo = PdoCategory(d.RxPdos, StringIndex);

        var str = new List<byte> { (byte)strings.Count };
        foreach (var s in strings)
        {
            var bytes = System.Text.Encoding.ASCII.GetBytes(s);
            str.Add((byte)bytes.Length);
            str.AddRange(bytes);
        }

        AddCategory(words, CategoryStrings, str);

        var general = new byte[32];
        general[0] = 2;                 // group name index
        general[1] = 0;                 // image
        general[2] = 3;                 // order code index
        general[3] = 1;                 // device name index
        general[5] = (byte)(d.CoeDetails & ~0x20); // never advertise complete access
        general[11] = 0x00;             // flags
        general[12] = 0;                // E-bus current (mA), little-endian i16
        general[14] = 2;                // group index (duplicate)
        general[16] = 0x11;             // physical ports 0 and 1: MII
        AddCategory(words, CategoryGeneral, general);

        var fmmu = new List<byte>();
        if (d.Fmmus is { } usages) fmmu.AddRange(usages);
        else AddDerivedFmmus(fmmu, sms);
        AddCategory(words, CategoryFmmu, fmmu);

        var syncm = new List<byte>();
        for (int i = 0; i < sms.Count; i++)
        {
            var sm = sms[i];
            syncm.Add((byte)sm.Start);
            syncm.Add((byte)(sm.Start >> 8));
            syncm.Add((byte)sm.Length);
            syncm.Add((byte)(sm.Length >> 8));
            syncm.Add(sm.Control);
            syncm.Add(0);
            syncm.Add((byte)(sm.Length > 0 ? 1 : 0));
            syncm.Add((byte)(i + 1));
        }

        AddCategory(words, CategorySyncM, syncm);
        if (txPdo.Count > 0) AddCategory(words, CategoryTxPdo, txPdo);
        if (rxPdo.Count > 0) AddCategory(words, CategoryRxPdo, rxPdo);
        words.Add(CategoryEnd);
        while (words.Count < EepromWords) words.Add(0xFFFF);
        if (words.Count > EepromWords) throw new InvalidOperationException($"SII image for '{d.Name}' needs {words.Count} words; the EEPROM has {EepromWords}");
        return words.ToArray();
    }

    private static void AddDerivedFmmus(List<byte> fmmu, IReadOnlyList<SyncManagerLayout> sms)
    {
        bool hasOutputs = sms.Count > 2 && sms[2].Length > 0, hasInputs = sms.Count > 3 && sms[3].Length > 0;
        if (hasOutputs) fmmu.Add(1);
        if (hasInputs) fmmu.Add(2);
        fmmu.Add(3);
    }

    private static List<byte> PdoCategory(IReadOnlyList<SiiPdo> pdos, Func<string, byte> stringIndex)
    {
        var data = new List<byte>();
        foreach (var pdo in pdos)
        {
            data.Add((byte)pdo.Index);
            data.Add((byte)(pdo.Index >> 8));
            data.Add((byte)pdo.Entries.Count);
            data.Add(pdo.SyncManager);
            data.Add(0); // DC sync
            data.Add(stringIndex(pdo.Name));
            data.Add(0);
            data.Add(0); // flags
            foreach (var e in pdo.Entries)
            {
                data.Add((byte)e.Index);
                data.Add((byte)(e.Index >> 8));
                data.Add(e.SubIndex);
                data.Add(stringIndex(e.Name));
                data.Add(e.DataType);
                data.Add(e.BitLength);
                data.Add(0);
                data.Add(0);
            }
        }

        return data;
    }

    private static void AddCategory(List<ushort> words, ushort type, IReadOnlyList<byte> data)
    {
        int n = (data.Count + 1) / 2;
        words.Add(type);
        words.Add((ushort)n);
        for (int i = 0; i < n; i++)
        {
            byte lo = data[2 * i];
            byte hi = 2 * i + 1 < data.Count ? data[2 * i + 1] : (byte)0;
            words.Add((ushort)(lo | (hi << 8)));
        }
    }

    private static void SetU32(ushort[] w, int at, uint v)
    {
        w[at] = (ushort)v;
        w[at + 1] = (ushort)(v >> 16);
    }
}
