using Rt.Hil.Esc.Mailbox;
using Rt.Hil.Esc.ObjectDictionary;

namespace Rt.Hil.Esc.Devices;

/// <summary>
/// The arm6 robot's drives: a fictional second vendor, "Armature Motion" (vendor 0x00000ABC), so that the arm's bus is
/// not biped12's. Two models, described by hil/robots/arm6/esi/ArmatureMotion-AXM.xml:
/// <list type="bullet">
/// <item>AXM-150 (product 0x00001501): shoulder and elbow drives; CSP, CSV and CST; has 0x6077 torque actual.</item>
/// <item>AXM-30 (product 0x00000301): wrist drives; CSP and CST only (0x6060 = 9 is refused); <b>no 0x6077</b>.</item>
/// </list>
/// Both boot with a minimal default PDO map, RxPDO 0x1600 = {0x6040, 0x607A} and TxPDO 0x1A00 = {0x6041, 0x6064}: it lacks
/// what the host needs (mode 0x6060/0x6061, target torque 0x6071 for CST, velocity 0x606C, torque 0x6077, error code
/// 0x603F), so the master must remap in PREOP through 0x1C12/0x1C13 and 0x1600/0x1A00 (the ESI's InitCmds do). The
/// mapping objects are writable in PREOP only (<see cref="EmulatedSlave.CheckWrite"/>). The drives also carry the
/// objects a master cross-checks its scaling against: 0x6076 motor rated torque (mN·m), 0x608F position encoder
/// resolution (increments per motor revolution) and 0x6091 gear ratio.
/// Construction is not real-time safe; the frame hooks are.
/// </summary>
public sealed class ArmServoDrive : ServoDriveDevice
{
    public const uint Vendor = 0x00000ABC;
    public const uint Axm150Product = 0x00001501, Axm30Product = 0x00000301, Revision = 0x00020003;

    /// <summary>Motor rated torque per model, N·m (0x6076 holds it in mN·m).</summary>
    public const double Axm150RatedTorqueNm = 0.5, Axm30RatedTorqueNm = 0.1;

    /// <summary>Encoder increments per motor revolution (0x608F:01) and gear ratio (0x6091:01 motor revs per 0x6091:02 shaft revs).</summary>
    public const uint EncoderIncrements = 524_288, GearMotorRevolutions = 100, GearShaftRevolutions = 1;

    private static readonly (ushort, byte)[] RxMinimal = [(0x6040, 0), (0x607A, 0)];
    private static readonly (ushort, byte)[] TxMinimal = [(0x6041, 0), (0x6064, 0)];

    public ArmServoDrive(ArmDriveModel model, SlaveOptions? options = null)
        : base(IdentityOf(model), options)
    {
        Model = model;
    }

    public ArmDriveModel Model { get; }

    /// <summary>The identity a model reports (SII, 0x1018, 0x1000, 0x1008). Not real-time safe.</summary>
    public static DeviceIdentity IdentityOf(ArmDriveModel model) => model switch
    {
        ArmDriveModel.Axm150 => new DeviceIdentity(Vendor, Axm150Product, Revision, 1, CiA402ServoDeviceType, "Armature Motion AXM-150 servo drive", "AXM-150-EC"),
        ArmDriveModel.Axm30 => new DeviceIdentity(Vendor, Axm30Product, Revision, 1, CiA402ServoDeviceType, "Armature Motion AXM-30 servo drive", "AXM-30-EC"),
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "unknown Armature Motion drive model"),
    };

    /// <summary>The model with this product code, or null. Not real-time safe.</summary>
    public static ArmDriveModel? ModelOf(uint vendor, uint product) => vendor != Vendor ? null : product switch
    {
        Axm150Product => ArmDriveModel.Axm150,
        Axm30Product => ArmDriveModel.Axm30,
        _ => null,
    };

    // Called from the base constructor (fields are not set yet): decided by the identity, which already is.
    private bool IsAxm30 => Identity.ProductCode == Axm30Product;

    protected override bool HasTorqueActual => !IsAxm30;

    protected override IReadOnlyList<(ushort Index, byte Sub)> DefaultRxPdo => RxMinimal;
    protected override IReadOnlyList<(ushort Index, byte Sub)> DefaultTxPdo => TxMinimal;

    protected override void AddDeviceObjects(CoeObjectDictionary od)
    {
        ArgumentNullException.ThrowIfNull(od);
        base.AddDeviceObjects(od);
        od.Find(0x6502, 0)!.Set(IsAxm30 ? 0x0000_0280u : 0x0000_0380u); // AXM-30: CSP and CST; AXM-150: CSP, CSV, CST
        double rated = IsAxm30 ? Axm30RatedTorqueNm : Axm150RatedTorqueNm;
        od.AddVar(0x6076, "Motor rated torque", OdDataType.Unsigned32, 32, OdAccess.Read).Set((uint)Math.Round(rated * 1000));
        od.Add(new OdObject(0x608F, "Position encoder resolution", OdObject.Record,
            U8(0x608F, 0, "Number of entries", 2, OdAccess.Read),
            U32(0x608F, 1, "Encoder increments", EncoderIncrements, OdAccess.Read),
            U32(0x608F, 2, "Motor revolutions", 1, OdAccess.Read)));
        od.Add(new OdObject(0x6091, "Gear ratio", OdObject.Record,
            U8(0x6091, 0, "Number of entries", 2, OdAccess.Read),
            U32(0x6091, 1, "Motor shaft revolutions", GearMotorRevolutions, OdAccess.Read),
            U32(0x6091, 2, "Driving shaft revolutions", GearShaftRevolutions, OdAccess.Read)));
    }

    protected override uint CheckDeviceWrite(OdEntry entry, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (IsAxm30 && entry.Index == 0x6060 && (sbyte)value[0] == 9) return SdoAbort.ValueRange; // no CSV on the wrist model
        return base.CheckDeviceWrite(entry, value);
    }
}

/// <summary>The two Armature Motion drive models of arm6's bus.</summary>
public enum ArmDriveModel
{
    /// <summary>Product 0x00001501: CSP/CSV/CST, with 0x6077.</summary>
    Axm150,

    /// <summary>Product 0x00000301: CSP/CST, without 0x6077.</summary>
    Axm30,
}
