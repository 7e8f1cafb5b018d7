using System.Buffers.Binary;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Segment;
using Rt.Hil.Esc.Sii;

namespace Rt.Hil.Esc.Tests;

public class EepromTests
{
    private static ushort[] ReadWords(TestBus bus, ushort station, int count)
    {
        var words = new ushort[count];
        for (int a = 0; a < count; a += 4)
        {
            var cmd = new byte[6];
            BinaryPrimitives.WriteUInt16LittleEndian(cmd, 0x0100);
            BinaryPrimitives.WriteUInt32LittleEndian(cmd.AsSpan(2), (uint)a);
            Assert.Equal(1, bus.Fpwr(station, 0x0502, cmd));
            ushort status = bus.FprdU16(station, 0x0502);
            Assert.Equal(0, status & 0x8000); // never busy: completes at once
            Assert.Equal(0x0040, status & 0x0040); // advertises 8-byte reads
            var (wkc, data) = bus.Fprd(station, 0x0508, 8);
            Assert.Equal(1, wkc);
            for (int i = 0; i < 4 && a + i < count; i++) words[a + i] = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(2 * i));
        }

        return words;
    }

    [Fact]
    public void Eight_byte_reads_return_the_identity_and_the_header_checksum_verifies()
    {
        var b = new Bench(2, 0);
        b.Bus.AssignStations();
        var w = ReadWords(b.Bus, 0x1002, 0x40);
        Assert.Equal(DeviceIdentity.RtBenchVendor, (uint)(w[8] | (w[9] << 16)));
        Assert.Equal(ServoDriveDevice.ProductCode, (uint)(w[0x0A] | (w[0x0B] << 16)));
        Assert.Equal(ServoDriveDevice.RevisionNumber, (uint)(w[0x0C] | (w[0x0D] << 16)));
        Assert.Equal(2u, (uint)(w[0x0E] | (w[0x0F] << 16)));
        Assert.Equal(0x1000, w[0x18]);
        Assert.Equal(128, w[0x19]);
        Assert.Equal(0x1080, w[0x1A]);
        Assert.Equal(0x0004, w[0x1C]);
        Assert.True(SiiChecksum.IsValid(w));
        Assert.Equal(0, b.Bus.FprdU16(0x1002, 0x0502) & 0x0800);
        Assert.Equal(1, b.Bus.FprdU16(0x1002, 0x0110) & 1); // PDI operational
    }

    [Fact]
    public void Checksum_is_CRC8_poly_07_init_FF_over_bytes_0_to_13()
    {
        // Reference written differently (bit-serial over the message bits) from the table-free implementation.
        var words = new ushort[] { 0x0C05, 0x0000, 0x03E8, 0x0000, 0x0000, 0x0000, 0x0000, 0 };
        byte crc = 0xFF;
        foreach (byte x in new byte[] { 0x05, 0x0C, 0, 0, 0xE8, 0x03, 0, 0, 0, 0, 0, 0, 0, 0 })
        {
            for (int i = 7; i >= 0; i--)
            {
                bool top = ((crc >> 7) & 1) != ((x >> i) & 1);
                crc = (byte)(crc << 1);
                if (top) crc ^= 0x07;
            }
        }

        Assert.Equal(crc, SiiChecksum.Compute(words));
    }

    [Fact]
    public void Corrupted_checksum_sets_the_checksum_error_bit_and_clears_PDI_operational()
    {
        var bad = new ServoDriveDevice(new SlaveOptions { CorruptSiiChecksum = true });
        var seg = new EscSegment([bad]);
        var bus = new TestBus(seg);
        bus.AssignStations();
        Assert.Equal(0x0800, bus.FprdU16(0x1001, 0x0502) & 0x0800);
        Assert.Equal(0, bus.FprdU16(0x1001, 0x0110) & 1);
        var w = ReadWords(bus, 0x1001, 8);
        Assert.False(SiiChecksum.IsValid(w));
    }

    [Fact]
    public void Categories_list_strings_general_fmmu_syncm_and_one_txpdo_and_one_rxpdo_category()
    {
        var d = new ServoDriveDevice();
        var w = d.SiiWords;
        var types = new List<int>();
        int p = 0x40;
        while (w[p] != 0xFFFF)
        {
            types.Add(w[p]);
            p += 2 + w[p + 1];
        }

        Assert.Equal(new[] { 10, 30, 40, 41, 50, 51 }, types);
        var imu = new ImuDevice();
        types.Clear();
        p = 0x40;
        while (imu.SiiWords[p] != 0xFFFF)
        {
            types.Add(imu.SiiWords[p]);
            p += 2 + imu.SiiWords[p + 1];
        }

        Assert.Equal(new[] { 10, 30, 40, 41, 50 }, types);
    }

    [Fact]
    public void General_category_does_not_advertise_complete_access()
    {
        var w = new ServoDriveDevice().SiiWords;
        int p = 0x40;
        while (w[p] != 30) p += 2 + w[p + 1];
        byte coeDetails = (byte)(w[p + 2 + 2] >> 8); // byte 5 of the category data
        Assert.Equal(0, coeDetails & 0x20);
        Assert.Equal(1, coeDetails & 0x01);
    }

    [Fact]
    public void Write_without_write_enable_sets_the_write_enable_error_and_NOP_clears_it()
    {
        var b = new Bench(1, 0);
        b.Bus.AssignStations();
        b.Bus.Fpwr(0x1001, 0x0508, 0x34, 0x12);
        b.Bus.Fpwr(0x1001, 0x0502, 0x00, 0x02, 0x04, 0, 0, 0);
        Assert.Equal(0x4000, b.Bus.FprdU16(0x1001, 0x0502) & 0x4000);
        b.Bus.Fpwr(0x1001, 0x0502, 0x00, 0x00);
        Assert.Equal(0, b.Bus.FprdU16(0x1001, 0x0502) & 0x6000);
        b.Bus.Fpwr(0x1001, 0x0502, 0x01, 0x02, 0x04, 0, 0, 0); // with write enable
        Assert.Equal(0x1234, b.Segment.Slaves[0].Esc.Eeprom[4]);
    }
}
