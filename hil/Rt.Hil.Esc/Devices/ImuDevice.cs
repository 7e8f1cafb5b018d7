using Rt.Core.ProcessData;
using Rt.Hil.Esc.ObjectDictionary;

namespace Rt.Hil.Esc.Devices;

/// <summary>
/// An emulated IMU: inputs only. Before the master reads inputs, <see cref="Sample"/> is encoded into the TxPDO through
/// the objects 0x6000:01–03 (specific force, REAL32 m/s²), 0x6010:01–03 (angular rate, REAL32 rad/s), 0x6020 (REAL32 °C),
/// 0x6030 (UINT16 sample counter) and 0x6031 (UINT16 status), found by index in the device's dictionary. The built-in
/// Rt bench IMU (<see cref="ImuDevice()"/>, vendor 0x00000E7A, product 0x00000100, revision 0x00010000) maps them all in
/// one fixed TxPDO 0x1A00 of 32 bytes; an ESI device gets this behaviour through its
/// <c>VendorSpecific/RtBench Behaviour="imu"</c> element. Construction is not real-time safe; the frame hooks are.
/// </summary>
public sealed class ImuDevice : EmulatedSlave
{
    public const uint ProductCode = 0x00000100, RevisionNumber = 0x00010000;

    private readonly OdEntry?[] _force, _rate;
    private readonly OdEntry? _temperature, _counter, _status;

    /// <summary>The sample the IMU reports (encoded into the TxPDO before each read); set by the bench.</summary>
    public ImuInputs Sample;

    /// <summary>The Rt bench IMU, as described in code by <see cref="RtBenchDescription"/>.</summary>
    public ImuDevice(SlaveOptions? options = null)
        : this(RtBenchDescription(), options)
    {
    }

    /// <summary>An IMU built from its description (an ESI entry, see <see cref="Esi.EsiSlaveLibrary"/>).</summary>
    public ImuDevice(SlaveDescription description, SlaveOptions? options)
        : base(description, options)
    {
        _force = [Od.Find(0x6000, 1), Od.Find(0x6000, 2), Od.Find(0x6000, 3)];
        _rate = [Od.Find(0x6010, 1), Od.Find(0x6010, 2), Od.Find(0x6010, 3)];
        _temperature = Od.Find(0x6020, 0);
        _counter = Od.Find(0x6030, 0);
        _status = Od.Find(0x6031, 0);
    }

    /// <summary>
    /// The Rt bench IMU in code: one fixed TxPDO 0x1A00 (PDO assignment and configuration not supported). The ESI files
    /// hil/robots/*/esi/RtBench-IMU.xml describe the same device; a test proves the two build identical SII and object
    /// dictionaries. Not real-time safe.
    /// </summary>
    public static SlaveDescription RtBenchDescription()
    {
        var force = Vector(0x6000, "Specific force", "m/s2");
        var rate = Vector(0x6010, "Angular rate", "rad/s");
        const OdAccess tx = OdAccess.Read | OdAccess.TxPdo;
        var entries = new List<PdoEntrySpec>();
        foreach (var o in new[] { force, rate })
            for (int i = 1; i <= 3; i++) entries.Add(new PdoEntrySpec(o.Index, (byte)i, 32, o.Entries[i].Name));
        entries.Add(new PdoEntrySpec(0x6020, 0, 32, "Temperature (degC)"));
        entries.Add(new PdoEntrySpec(0x6030, 0, 16, "Sample counter"));
        entries.Add(new PdoEntrySpec(0x6031, 0, 16, "Status"));
        return new SlaveDescription
        {
            Identity = new DeviceIdentity(DeviceIdentity.RtBenchVendor, ProductCode, RevisionNumber, 1, 0x00000000, "Rt bench IMU", "RT-IMU-100"),
            Objects =
            [
                force, rate,
                ObjectSpec.Var(0x6020, "Temperature (degC)", OdDataType.Real32, 32, tx),
                ObjectSpec.Var(0x6030, "Sample counter", OdDataType.Unsigned16, 16, tx),
                ObjectSpec.Var(0x6031, "Status", OdDataType.Unsigned16, 16, tx),
            ],
            TxPdos = [new PdoSpec(0x1A00, "TxPDO 1", 3, true, entries)],
            PdoAssign = false,
            PdoConfig = false,
            Behaviour = SlaveBehaviour.Imu,
        };
    }

    private static ObjectSpec Vector(ushort index, string name, string unit)
    {
        const OdAccess tx = OdAccess.Read | OdAccess.TxPdo;
        return new ObjectSpec(index, name, OdObject.Array,
        [
            new(0, "Number of entries", OdDataType.Unsigned8, 8, OdAccess.Read, [3]),
            new(1, $"{name} X ({unit})", OdDataType.Real32, 32, tx, []),
            new(2, $"{name} Y ({unit})", OdDataType.Real32, 32, tx, []),
            new(3, $"{name} Z ({unit})", OdDataType.Real32, 32, tx, []),
        ]);
    }

    protected override void PublishInputs()
    {
        _force[0]?.Set(Sample.SpecificForceX);
        _force[1]?.Set(Sample.SpecificForceY);
        _force[2]?.Set(Sample.SpecificForceZ);
        _rate[0]?.Set(Sample.AngularRateX);
        _rate[1]?.Set(Sample.AngularRateY);
        _rate[2]?.Set(Sample.AngularRateZ);
        _temperature?.Set(Sample.TemperatureC);
        _counter?.Set(Sample.SampleCounter);
        _status?.Set(Sample.Status);
    }

    protected override void ConsumeOutputs()
    {
    }
}
