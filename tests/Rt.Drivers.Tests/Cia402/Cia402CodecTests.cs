using Rt.Core.Config;
using Rt.Core.ProcessData;
using Rt.Drivers.Cia402;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Devices;
using Rt.Drivers.EtherCat.Sii;

namespace Rt.Drivers.Tests.Cia402;

public sealed class Cia402CodecTests
{
    // The third-party drive of issue 12: 0x6040/0x607A/0x60FF/0x6060 → 0x6041/0x6064/0x606C/0x6061, no torque objects.
    private static readonly IReadOnlyList<Pdo> ThirdPartyRx =
        [new Pdo(0x1600, 2, "", [new PdoEntry(0x6040, 0, 16), new PdoEntry(0x607A, 0, 32), new PdoEntry(0x60FF, 0, 32), new PdoEntry(0x6060, 0, 8)])];

    private static readonly IReadOnlyList<Pdo> ThirdPartyTx =
        [new Pdo(0x1A00, 3, "", [new PdoEntry(0x6041, 0, 16), new PdoEntry(0x6064, 0, 32), new PdoEntry(0x606C, 0, 32), new PdoEntry(0x6061, 0, 8)])];

    private const string Who = "joint l_knee (drive at bus position 3, vendor 0x00000ABC product 0x00000001 revision 0x00000002)";

    [Fact]
    public void A_foreign_mapping_is_encoded_at_its_own_offsets_and_reports_which_feedback_it_has()
    {
        var codec = new Cia402Codec(ThirdPartyRx, ThirdPartyTx, JointMode.Csp, Who, 3);
        Assert.Equal(DriveFeedback.Velocity | DriveFeedback.ModeDisplay, codec.Feedback);
        Assert.Equal(10, codec.OffsetOf(Cia402Object.ModeOfOperation));
        Assert.Equal(-1, codec.OffsetOf(Cia402Object.TargetTorque));

        var outBytes = new byte[11];
        codec.Encode(new DriveOutputs { Controlword = 0x000F, TargetPosition = -2, TargetVelocity = 0x01020304, ModeOfOperation = 8, TargetTorque = 500, TorqueOffset = 9 }, outBytes);
        Assert.Equal(new byte[] { 0x0F, 0, 0xFE, 0xFF, 0xFF, 0xFF, 4, 3, 2, 1, 8 }, outBytes);

        var inputs = new DriveInputs { TorqueActual = 77, ErrorCode = 5 };
        codec.Decode(new byte[] { 0x37, 0x02, 0x10, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 9 }, ref inputs);
        Assert.Equal(0x0237, inputs.Statusword);
        Assert.Equal(16, inputs.PositionActual);
        Assert.Equal(-1, inputs.VelocityActual);
        Assert.Equal(9, inputs.ModeDisplay);
        Assert.Equal(77, inputs.TorqueActual); // not mapped: left alone, and Feedback says so
        Assert.Equal(5, inputs.ErrorCode);
    }

    [Fact]
    public void Max_torque_and_digital_outputs_go_where_the_mapping_puts_them_and_a_drive_without_them_gets_neither()
    {
        IReadOnlyList<Pdo> rx =
            [new Pdo(0x1600, 2, "", [new PdoEntry(0x6040, 0, 16), new PdoEntry(0x607A, 0, 32), new PdoEntry(0x6072, 0, 16), new PdoEntry(0x60FE, 1, 32)])];
        var codec = new Cia402Codec(rx, ThirdPartyTx, JointMode.Csp, Who, 3);
        Assert.True(codec.MapsMaxTorque);
        Assert.True(codec.MapsDigitalOutputs);
        Assert.Equal(6, codec.OffsetOf(Cia402Object.MaxTorque));
        Assert.Equal(8, codec.OffsetOf(Cia402Object.DigitalOutputs));
        Assert.Equal(-1, codec.OffsetOf(new Cia402Object(0x60FE, 2, 32, "bit mask")));
        var outBytes = new byte[12];
        codec.Encode(new DriveOutputs { Controlword = 0x000F, TargetPosition = 1, MaxTorque = 0x0BB8, DigitalOutputs = DriveDigitalOutputs.BrakeRelease }, outBytes);
        Assert.Equal(new byte[] { 0x0F, 0, 1, 0, 0, 0, 0xB8, 0x0B, 1, 0, 0, 0 }, outBytes);

        var without = new Cia402Codec(ThirdPartyRx, ThirdPartyTx, JointMode.Csp, Who, 3);
        Assert.False(without.MapsMaxTorque);
        Assert.False(without.MapsDigitalOutputs);
        var bytes = new byte[11];
        without.Encode(new DriveOutputs { Controlword = 0x000F, MaxTorque = 0xFFFF, DigitalOutputs = 0xFFFFFFFF }, bytes);
        Assert.Equal(new byte[] { 0x0F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, bytes); // nothing written past its own objects

        // 0x60FE:01 mapped with the wrong size is refused, as every other object.
        IReadOnlyList<Pdo> bad = [new Pdo(0x1600, 2, "", [new PdoEntry(0x6040, 0, 16), new PdoEntry(0x607A, 0, 32), new PdoEntry(0x60FE, 1, 16)])];
        var e = Assert.Throws<EtherCatException>(() => new Cia402Codec(bad, ThirdPartyTx, JointMode.Csp, Who, 3));
        Assert.Contains("0x60FE:01 is mapped with 16 bits, 32 expected (digital outputs)", e.Message);
    }

    [Fact]
    public void A_torque_limit_becomes_an_unsigned_per_mille_never_0_and_saturated()
    {
        var s = new JointScaling(new JointDriveConfig { Name = "k", GearRatio = 100, EncoderCountsPerRev = 131072, RatedTorqueNm = 0.5, Direction = -1 });
        Assert.Equal(2800, s.TorqueLimitToPerMille(140)); // 140 N·m / (0.5 · 100) → 2800 ‰, whatever the direction
        Assert.Equal(2800, s.TorqueLimitToPerMille(-140));
        Assert.Equal(1, s.TorqueLimitToPerMille(0));
        Assert.Equal(1, s.TorqueLimitToPerMille(double.NaN));
        Assert.Equal(ushort.MaxValue, s.TorqueLimitToPerMille(1e9));
    }

    [Fact]
    public void The_same_drive_runs_csv_but_cst_is_refused_naming_joint_slave_and_object()
    {
        var csv = new Cia402Codec(ThirdPartyRx, ThirdPartyTx, JointMode.Csv, Who, 3);
        Assert.Equal(JointMode.Csv, csv.Mode);

        var e = Assert.Throws<EtherCatException>(() => new Cia402Codec(ThirdPartyRx, ThirdPartyTx, JointMode.Cst, Who, 3));
        Assert.Equal(BusErrorKind.ConfigMismatch, e.Kind);
        Assert.Equal(3, e.Position);
        Assert.StartsWith("joint l_knee (drive at bus position 3", e.Message);
        Assert.Contains("mode cst needs 0x6071 target torque (0x6071:00) in the RxPDO mapping", e.Message);
        Assert.Contains("0x6040:00, 0x607A:00, 0x60FF:00, 0x6060:00", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData(0x6040, "controlword")]
    [InlineData(0x6041, "statusword")]
    [InlineData(0x6064, "position actual")]
    [InlineData(0x607A, "target position")]
    public void Every_mandatory_object_missing_is_refused(int index, string name)
    {
        var rx = Without(ThirdPartyRx, (ushort)index);
        var tx = Without(ThirdPartyTx, (ushort)index);
        var e = Assert.Throws<EtherCatException>(() => new Cia402Codec(rx, tx, JointMode.Csp, Who, 3));
        Assert.Contains($"0x{index:X4} {name}", e.Message);
        Assert.True(e.IsConfigMismatch);
    }

    [Fact]
    public void Csv_needs_velocity_actual_and_the_bench_mapping_has_everything()
    {
        var tx = Without(ThirdPartyTx, 0x606C);
        Assert.NotNull(new Cia402Codec(ThirdPartyRx, tx, JointMode.Csp, Who)); // optional in CSP
        var e = Assert.Throws<EtherCatException>(() => new Cia402Codec(ThirdPartyRx, tx, JointMode.Csv, Who));
        Assert.Contains("mode csv needs 0x606C velocity actual", e.Message);

        foreach (var mode in new[] { JointMode.Csp, JointMode.Csv, JointMode.Cst })
        {
            var bench = new Cia402Codec(BenchMappings.DriveRx(), BenchMappings.DriveTx(), mode, "bench drive");
            Assert.Equal(DriveFeedback.Velocity | DriveFeedback.Torque | DriveFeedback.ErrorCode | DriveFeedback.ModeDisplay, bench.Feedback);
        }
    }

    [Fact]
    public void Digital_inputs_are_decoded_when_mapped()
    {
        IReadOnlyList<Pdo> tx = [new Pdo(0x1A00, 3, "", [new PdoEntry(0x6041, 0, 16), new PdoEntry(0x6064, 0, 32), new PdoEntry(0x60FD, 0, 32)])];
        var codec = new Cia402Codec(ThirdPartyRx, tx, JointMode.Csp, Who);
        Assert.True((codec.Feedback & DriveFeedback.DigitalInputs) != 0);
        var i = new DriveInputs();
        codec.Decode(new byte[] { 0x40, 0, 0, 0, 0, 0, 0x05, 0, 0, 0x80 }, ref i);
        Assert.Equal(0x80000005u, i.DigitalInputs);
    }

    private static IReadOnlyList<Pdo> Without(IReadOnlyList<Pdo> pdos, ushort index) =>
        pdos.Select(p => p with { Entries = p.Entries.Where(e => e.Index != index).ToList() }).ToList();
}
