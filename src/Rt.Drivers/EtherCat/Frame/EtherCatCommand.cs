namespace Rt.Drivers.EtherCat.Frame;

/// <summary>The 15 EtherCAT datagram commands (ETG.1000.4 / Beckhoff ESC datasheet section I, table "EtherCAT command types").</summary>
public enum EtherCatCommand : byte
{
    /// <summary>No operation: slaves ignore the datagram.</summary>
    Nop = 0,
    /// <summary>Auto-increment physical read.</summary>
    Aprd = 1,
    /// <summary>Auto-increment physical write.</summary>
    Apwr = 2,
    /// <summary>Auto-increment physical read-write.</summary>
    Aprw = 3,
    /// <summary>Configured-address physical read.</summary>
    Fprd = 4,
    /// <summary>Configured-address physical write.</summary>
    Fpwr = 5,
    /// <summary>Configured-address physical read-write.</summary>
    Fprw = 6,
    /// <summary>Broadcast read (data ORed by every slave).</summary>
    Brd = 7,
    /// <summary>Broadcast write.</summary>
    Bwr = 8,
    /// <summary>Broadcast read-write.</summary>
    Brw = 9,
    /// <summary>Logical read.</summary>
    Lrd = 10,
    /// <summary>Logical write.</summary>
    Lwr = 11,
    /// <summary>Logical read-write.</summary>
    Lrw = 12,
    /// <summary>Auto-increment read, multiple write (read at the addressed slave, write at all others).</summary>
    Armw = 13,
    /// <summary>Configured-address read, multiple write.</summary>
    Frmw = 14,
}

/// <summary>Helpers about commands. Real-time safe.</summary>
public static class EtherCatCommands
{
    /// <summary>Highest defined command code.</summary>
    public const byte Max = 14;

    /// <summary>Whether <paramref name="code"/> is a defined command.</summary>
    public static bool IsDefined(byte code) => code <= Max;

    /// <summary>Logical commands carry a 32-bit logical address instead of ADP/ADO.</summary>
    public static bool IsLogical(EtherCatCommand c) => c is EtherCatCommand.Lrd or EtherCatCommand.Lwr or EtherCatCommand.Lrw;

    /// <summary>Auto-increment and broadcast commands: every slave increments ADP on the way, so a reply's ADP differs from the request's.</summary>
    public static bool AdpChangesInTransit(EtherCatCommand c) => c is EtherCatCommand.Aprd or EtherCatCommand.Apwr or EtherCatCommand.Aprw
        or EtherCatCommand.Armw or EtherCatCommand.Brd or EtherCatCommand.Bwr or EtherCatCommand.Brw;

    /// <summary>Upper-case mnemonic, as Wireshark prints it.</summary>
    public static string Mnemonic(EtherCatCommand c) => c switch
    {
        EtherCatCommand.Nop => "NOP",
        EtherCatCommand.Aprd => "APRD",
        EtherCatCommand.Apwr => "APWR",
        EtherCatCommand.Aprw => "APRW",
        EtherCatCommand.Fprd => "FPRD",
        EtherCatCommand.Fpwr => "FPWR",
        EtherCatCommand.Fprw => "FPRW",
        EtherCatCommand.Brd => "BRD",
        EtherCatCommand.Bwr => "BWR",
        EtherCatCommand.Brw => "BRW",
        EtherCatCommand.Lrd => "LRD",
        EtherCatCommand.Lwr => "LWR",
        EtherCatCommand.Lrw => "LRW",
        EtherCatCommand.Armw => "ARMW",
        EtherCatCommand.Frmw => "FRMW",
        _ => "?",
    };

    /// <summary>Builds the 32-bit address field from a position/station address (ADP) and a register offset (ADO).</summary>
    public static uint Physical(ushort adp, ushort ado) => adp | ((uint)ado << 16);

    /// <summary>Address field for auto-increment addressing of bus position <paramref name="position"/> (ADP = -position).</summary>
    public static uint AutoIncrement(int position, ushort ado) => Physical(unchecked((ushort)(-position)), ado);
}
