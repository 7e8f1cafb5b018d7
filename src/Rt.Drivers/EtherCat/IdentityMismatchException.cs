using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.EtherCat;

/// <summary>
/// The bus does not hold the devices the configuration expects; the master refuses to go to OP. Carries the position,
/// the expected identity and the one received (null: no slave there). Not real-time safe.
/// </summary>
public sealed class IdentityMismatchException : EtherCatException
{
    public IdentityMismatchException(int position, SlaveIdentity expected, SlaveIdentity? found, string? foundName = null)
        : base(BusErrorKind.ConfigMismatch, Describe(position, expected, found, foundName), position)
    {
        Expected = expected;
        Found = found;
    }

    public SlaveIdentity Expected { get; }
    public SlaveIdentity? Found { get; }

    private static string Describe(int position, SlaveIdentity expected, SlaveIdentity? found, string? name)
    {
        string want = $"vendor 0x{expected.Vendor:X8} product 0x{expected.Product:X8} revision 0x{expected.Revision:X8}";
        return found is { } f
            ? $"slave at position {position}: identity mismatch: expected {want}, received vendor 0x{f.Vendor:X8} product 0x{f.Product:X8} revision 0x{f.Revision:X8}{(string.IsNullOrEmpty(name) ? "" : $" ('{name}')")}; refusing OP"
            : $"slave at position {position}: identity mismatch: expected {want}, but there is no slave at that position; refusing OP";
    }
}
