using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.EtherCat.Devices;

/// <summary>Where one mapped object sits in a slave's process data: byte offset and bit length (−1 when not mapped).</summary>
public readonly record struct PdoField(int ByteOffset, int BitLength)
{
    public static PdoField Absent => new(-1, 0);
    public bool Mapped => ByteOffset >= 0;
}

/// <summary>
/// Finds objects by index/subindex in a slave's actual PDO mapping (entries in PDO order, bit offsets accumulated,
/// gaps with index 0 skipped). Fields must be byte-aligned and have the expected size, else bring-up is refused
/// with a message naming the slave and object. Not real-time safe (prepare time only).
/// </summary>
public static class PdoFieldMap
{
    public static PdoField Find(IReadOnlyList<Pdo> pdos, ushort index, byte subIndex, int expectedBits, string who)
    {
        int bit = 0;
        foreach (var pdo in pdos)
        {
            foreach (var e in pdo.Entries)
            {
                if (e.Index == index && e.SubIndex == subIndex)
                {
                    if (bit % 8 != 0)
                        throw new EtherCatException($"{who}: object 0x{index:X4}:{subIndex:X2} is mapped at bit {bit}, not on a byte boundary");
                    if (e.BitLength != expectedBits)
                        throw new EtherCatException($"{who}: object 0x{index:X4}:{subIndex:X2} is mapped with {e.BitLength} bits, {expectedBits} expected");
                    return new PdoField(bit / 8, e.BitLength);
                }
                bit += e.BitLength;
            }
        }
        return PdoField.Absent;
    }
}
