using System.Buffers.Binary;
using System.Text;
using Rt.Core.Errors;
using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.Tests.EtherCat;

public sealed class SiiParserTests
{
    /// <summary>Builds an SII image by hand from the layout in the ESC datasheet / ETG.2010 (independent of the emulator's builder).</summary>
    internal static byte[] Image(bool withEnd = true, Action<List<byte>>? extraCategories = null)
    {
        var b = new byte[128];
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(4 * 2), 0x0042); // alias
        b[14] = SiiParser.Crc8(b.AsSpan(0, 14));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x08 * 2), 0x00000E7A);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x0A * 2), 0x00000100);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x0C * 2), 0x00010000);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(0x0E * 2), 7);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(0x18 * 2), 0x1000);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(0x19 * 2), 128);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(0x1A * 2), 0x1080);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(0x1B * 2), 128);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(0x1C * 2), 0x0004);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(0x3E * 2), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(0x3F * 2), 1);
        var list = new List<byte>(b);
        void Category(ushort type, byte[] data)
        {
            if (data.Length % 2 == 1) data = [.. data, 0];
            list.AddRange(BitConverter.GetBytes(type));
            list.AddRange(BitConverter.GetBytes((ushort)(data.Length / 2)));
            list.AddRange(data);
        }
        // strings: 1 "Rt bench IMU", 2 "RT-IMU", 3 "Accel X"
        var strings = new List<byte> { 3 };
        foreach (var s in new[] { "Rt bench IMU", "RT-IMU", "Accel X" })
        {
            strings.Add((byte)s.Length);
            strings.AddRange(Encoding.ASCII.GetBytes(s));
        }
        Category(SiiParser.CategoryStrings, [.. strings]);
        var general = new byte[32];
        general[2] = 2; // order
        general[3] = 1; // name
        general[5] = 0x0D;
        Category(SiiParser.CategoryGeneral, general);
        Category(SiiParser.CategoryFmmu, [2, 3, 0xFF, 0xFF]);
        Category(SiiParser.CategorySyncM, [
            0x00, 0x10, 128, 0, 0x26, 0, 1, 1,
            0x80, 0x10, 128, 0, 0x22, 0, 1, 2,
            0x80, 0x11, 4, 0, 0x20, 0, 1, 4,
        ]);
        // TxPDO 0x1A00, 1 entry, SM 2... (SM index 2 in the list above = inputs), name 0; entry 0x6000:01 32 bit name 3
        Category(SiiParser.CategoryTxPdo, [
            0x00, 0x1A, 1, 2, 0, 0, 0, 0,
            0x00, 0x60, 1, 3, 8, 32, 0, 0,
        ]);
        extraCategories?.Invoke(list);
        if (withEnd) list.AddRange([0xFF, 0xFF, 0, 0]);
        return [.. list];
    }

    [Fact]
    public void A_hand_built_image_parses_into_identity_mailbox_strings_and_pdos()
    {
        var sii = SiiParser.Parse(Image(), "test");
        Assert.Equal(0x42, sii.Alias);
        Assert.Equal(new SlaveIdentity(0xE7A, 0x100, 0x10000, 7), sii.Identity);
        Assert.Equal(0x1000, sii.MailboxReceiveOffset);
        Assert.Equal(128, sii.MailboxSendSize);
        Assert.Equal(MailboxProtocols.CoE, sii.Protocols);
        Assert.Equal("Rt bench IMU", sii.General!.DeviceName);
        Assert.Equal("RT-IMU", sii.General.OrderName);
        Assert.Equal([2, 3], sii.Fmmus);
        Assert.Equal(3, sii.SyncManagers.Count);
        Assert.Equal(SyncManagerType.Inputs, sii.SyncManagers[2].Type);
        var pdo = Assert.Single(sii.TxPdos);
        Assert.Equal(0x1A00, pdo.Index);
        Assert.Equal(new PdoEntry(0x6000, 1, 32, "Accel X", 8), pdo.Entries[0]);
        Assert.Equal(256, sii.EepromBytes);
    }

    [Fact]
    public void Crc8_matches_the_known_check_value()
    {
        // CRC-8 with poly 0x07, init 0xFF over "123456789" is 0xFB (CRC-8/ROHC-like parameters without reflection).
        Assert.Equal(0xFB, SiiParser.Crc8("123456789"u8));
    }

    [Fact]
    public void A_corrupted_checksum_names_word_7()
    {
        var image = Image();
        image[2] ^= 0x01;
        var e = Assert.Throws<InputError>(() => SiiParser.Parse(image, "slave 3"));
        Assert.Equal("word 0x0007", e.Location);
        Assert.Equal("slave 3", e.Source_);
    }

    [Fact]
    public void A_missing_end_marker_names_the_word_where_the_list_stops()
    {
        var image = Image(withEnd: false);
        var e = Assert.Throws<InputError>(() => SiiParser.Parse(image, "x"));
        Assert.Contains("end marker", e.Problem);
        Assert.Equal($"word 0x{image.Length / 2:X4}", e.Location);
    }

    [Fact]
    public void A_category_longer_than_the_image_names_its_word()
    {
        var image = Image(extraCategories: l => l.AddRange([0x0A, 0x00, 0xFF, 0x00]));
        var e = Assert.Throws<InputError>(() => SiiParser.Parse(image, "x"));
        Assert.Contains("announces 255 words", e.Problem);
    }

    [Fact]
    public void A_truncated_strings_category_is_reported()
    {
        var image = Image(extraCategories: l => l.AddRange([0x0A, 0x00, 0x01, 0x00, 0x03, 0x09]));
        var e = Assert.Throws<InputError>(() => SiiParser.Parse(image, "x"));
        Assert.Contains("string", e.Problem);
    }

    [Fact]
    public void A_header_shorter_than_64_words_is_reported()
    {
        var e = Assert.Throws<InputError>(() => SiiParser.Parse(new byte[20], "x"));
        Assert.Contains("shorter than the 128-byte header", e.Problem);
    }
}
