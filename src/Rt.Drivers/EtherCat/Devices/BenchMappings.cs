using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.EtherCat.Devices;

/// <summary>The default PDO mappings of the bench devices (agreed with the emulator), as PDO lists. Not real-time safe.</summary>
public static class BenchMappings
{
    /// <summary>Drive RxPDO 0x1600: 0x6040 U16, 0x6060 I8, 0x607A I32, 0x60FF I32, 0x6071 I16, 0x60B1 I32, 0x60B2 I16,
    /// 0x6072 U16, 0x60FE:01 U32 (25 bytes; RtBench-Servo.xml).</summary>
    public static IReadOnlyList<Pdo> DriveRx() =>
    [
        new Pdo(0x1600, 2, "RxPDO 1", [
            new PdoEntry(0x6040, 0, 16), new PdoEntry(0x6060, 0, 8), new PdoEntry(0x607A, 0, 32), new PdoEntry(0x60FF, 0, 32),
            new PdoEntry(0x6071, 0, 16), new PdoEntry(0x60B1, 0, 32), new PdoEntry(0x60B2, 0, 16),
            new PdoEntry(0x6072, 0, 16), new PdoEntry(0x60FE, 1, 32)]),
    ];

    /// <summary>Drive TxPDO 0x1A00: 0x6041 U16, 0x6061 I8, 0x6064 I32, 0x606C I32, 0x6077 I16, 0x603F U16 (15 bytes).</summary>
    public static IReadOnlyList<Pdo> DriveTx() =>
    [
        new Pdo(0x1A00, 3, "TxPDO 1", [
            new PdoEntry(0x6041, 0, 16), new PdoEntry(0x6061, 0, 8), new PdoEntry(0x6064, 0, 32), new PdoEntry(0x606C, 0, 32),
            new PdoEntry(0x6077, 0, 16), new PdoEntry(0x603F, 0, 16)]),
    ];

    /// <summary>IMU TxPDO 0x1A00: 0x6000:01..03, 0x6010:01..03, 0x6020 REAL32, 0x6030, 0x6031 UINT16 (32 bytes).</summary>
    public static IReadOnlyList<Pdo> ImuTx() =>
    [
        new Pdo(0x1A00, 3, "TxPDO 1", [
            new PdoEntry(0x6000, 1, 32), new PdoEntry(0x6000, 2, 32), new PdoEntry(0x6000, 3, 32),
            new PdoEntry(0x6010, 1, 32), new PdoEntry(0x6010, 2, 32), new PdoEntry(0x6010, 3, 32),
            new PdoEntry(0x6020, 0, 32), new PdoEntry(0x6030, 0, 16), new PdoEntry(0x6031, 0, 16)]),
    ];
}
