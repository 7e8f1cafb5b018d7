using System.Globalization;

namespace Rt.Safety;

/// <summary>
/// Names for CiA 402 / CiA 301 error codes (object 0x603F) for logs and messages. An unknown code is reported with
/// its number, never dropped. Not real-time safe (strings); the tick only carries the number.
/// </summary>
public static class DriveErrorCodes
{
    private static readonly Dictionary<ushort, string> Known = new()
    {
        [0x0000] = "no error",
        [0x1000] = "generic error",
        [0x2110] = "short circuit / earth leakage (input)",
        [0x2220] = "continuous over-current (device internal)",
        [0x2310] = "continuous over-current (device output)",
        [0x2320] = "short circuit / earth leakage (device output)",
        [0x3110] = "mains over-voltage",
        [0x3120] = "mains under-voltage",
        [0x3210] = "DC link over-voltage",
        [0x3220] = "DC link under-voltage",
        [0x4210] = "excess temperature, device",
        [0x4310] = "excess temperature, drive",
        [0x5112] = "supply low voltage (24 V)",
        [0x5530] = "data storage (EEPROM/flash) fault",
        [0x6010] = "software reset (watchdog)",
        [0x6320] = "parameter error",
        [0x7121] = "motor blocked",
        [0x7300] = "sensor (encoder) fault",
        [0x7305] = "incremental sensor 1 fault",
        [0x7500] = "communication fault",
        [0x8110] = "CAN/fieldbus overrun",
        [0x8130] = "life guard / heartbeat error",
        [0x8400] = "velocity speed controller (overspeed)",
        [0x8611] = "following error",
        [0x8612] = "reference limit",
        [0xFF00] = "manufacturer specific",
    };

    /// <summary>"0x8611 following error", or "0xABCD unknown drive error code" for codes not in the table.</summary>
    public static string Describe(ushort code) =>
        Known.TryGetValue(code, out var name)
            ? $"0x{code.ToString("X4", CultureInfo.InvariantCulture)} {name}"
            : $"0x{code.ToString("X4", CultureInfo.InvariantCulture)} unknown drive error code ({code.ToString(CultureInfo.InvariantCulture)})";

    public static bool IsKnown(ushort code) => Known.ContainsKey(code);
}
