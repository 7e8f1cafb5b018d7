using Rt.Core.ProcessData;
using Rt.Hil.Esc.ObjectDictionary;

namespace Rt.Hil.Esc.Devices;

/// <summary>
/// The emulated IMU (vendor 0x00000E7A "Rt bench", product 0x00000100, revision 0x00010000): inputs only.
/// Before the master reads inputs, <see cref="Sample"/> is encoded into TxPDO 0x1A00 (9 entries, 32 bytes).
/// Construction is not real-time safe; the frame hooks are.
/// </summary>
public sealed class ImuDevice : EmulatedSlave
{
    public const uint ProductCode = 0x00000100, RevisionNumber = 0x00010000;

    private static readonly (ushort, byte)[] TxDefault =
    [
        (0x6000, 1), (0x6000, 2), (0x6000, 3), (0x6010, 1), (0x6010, 2), (0x6010, 3), (0x6020, 0), (0x6030, 0), (0x6031, 0),
    ];

    private OdEntry[] _force = null!, _rate = null!;
    private OdEntry _temperature = null!, _counter = null!, _status = null!;

    /// <summary>The sample the IMU reports (encoded into the TxPDO before each read); set by the bench.</summary>
    public ImuInputs Sample;

    public ImuDevice(SlaveOptions? options = null)
        : base(new DeviceIdentity(DeviceIdentity.RtBenchVendor, ProductCode, RevisionNumber, 1, 0x00000000, "Rt bench IMU", "RT-IMU-100"), options, hasOutputs: false)
    {
    }

    protected override IReadOnlyList<(ushort Index, byte Sub)> DefaultRxPdo => [];
    protected override IReadOnlyList<(ushort Index, byte Sub)> DefaultTxPdo => TxDefault;

    protected override void AddDeviceObjects(CoeObjectDictionary od)
    {
        ArgumentNullException.ThrowIfNull(od);
        _force = Vector(od, 0x6000, "Specific force", "m/s2");
        _rate = Vector(od, 0x6010, "Angular rate", "rad/s");
        const OdAccess tx = OdAccess.Read | OdAccess.TxPdo;
        _temperature = od.AddVar(0x6020, "Temperature (degC)", OdDataType.Real32, 32, tx);
        _counter = od.AddVar(0x6030, "Sample counter", OdDataType.Unsigned16, 16, tx);
        _status = od.AddVar(0x6031, "Status", OdDataType.Unsigned16, 16, tx);
    }

    private static OdEntry[] Vector(CoeObjectDictionary od, ushort index, string name, string unit)
    {
        const OdAccess tx = OdAccess.Read | OdAccess.TxPdo;
        var x = new OdEntry(index, 1, $"{name} X ({unit})", OdDataType.Real32, 32, tx);
        var y = new OdEntry(index, 2, $"{name} Y ({unit})", OdDataType.Real32, 32, tx);
        var z = new OdEntry(index, 3, $"{name} Z ({unit})", OdDataType.Real32, 32, tx);
        od.Add(new OdObject(index, name, OdObject.Array, U8(index, 0, "Number of entries", 3, OdAccess.Read), x, y, z));
        return [x, y, z];
    }

    protected override void PublishInputs()
    {
        _force[0].Set(Sample.SpecificForceX);
        _force[1].Set(Sample.SpecificForceY);
        _force[2].Set(Sample.SpecificForceZ);
        _rate[0].Set(Sample.AngularRateX);
        _rate[1].Set(Sample.AngularRateY);
        _rate[2].Set(Sample.AngularRateZ);
        _temperature.Set(Sample.TemperatureC);
        _counter.Set(Sample.SampleCounter);
        _status.Set(Sample.Status);
    }

    protected override void ConsumeOutputs()
    {
    }
}
