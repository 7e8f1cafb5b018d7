using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.EtherCat;

/// <summary>The bus does not hold the devices the configuration expects; the master refuses to go to OP. Not real-time safe.</summary>
public sealed class IdentityMismatchException : EtherCatException
{
    public IdentityMismatchException(int position, SlaveIdentity expected, SlaveIdentity? found)
        : base(found is { } f
            ? $"slave at position {position}: expected vendor 0x{expected.Vendor:X8} product 0x{expected.Product:X8} revision 0x{expected.Revision:X8}, found vendor 0x{f.Vendor:X8} product 0x{f.Product:X8} revision 0x{f.Revision:X8}; refusing OP"
            : $"slave at position {position}: expected vendor 0x{expected.Vendor:X8} product 0x{expected.Product:X8} revision 0x{expected.Revision:X8}, but there is no slave at that position; refusing OP")
    {
        Position = position;
        Expected = expected;
        Found = found;
    }

    public int Position { get; }
    public SlaveIdentity Expected { get; }
    public SlaveIdentity? Found { get; }
}
