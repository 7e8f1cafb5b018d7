using Rt.Core.ProcessData;
using Rt.Drivers.EtherCat;
using Rt.Drivers.Cia402;
using Rt.Perf;
using Rt.Drivers.EtherCat.Devices;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Sii;
using Rt.Hil.Esc.Segment;
using Xunit.Abstractions;

namespace Rt.Drivers.Tests.EtherCat;

public sealed class DeviceCodecTests(ITestOutputHelper output)
{
    [Fact]
    public void A_drive_with_a_reduced_mapping_leaves_unmapped_fields_at_default()
    {
        // CSP-only drive, fields in a different order than the bench default, with an 8-bit gap.
        IReadOnlyList<Pdo> rx = [new Pdo(0x1601, 2, "", [new PdoEntry(0x607A, 0, 32), new PdoEntry(0, 0, 8), new PdoEntry(0x6040, 0, 16)])];
        IReadOnlyList<Pdo> tx = [new Pdo(0x1A01, 3, "", [new PdoEntry(0x6064, 0, 32), new PdoEntry(0x6041, 0, 16)])];
        var codec = new Cia402Codec(rx, tx, "test drive");
        var outBytes = new byte[7];
        codec.Encode(new DriveOutputs { Controlword = 0x1234, TargetPosition = 0x0A0B0C0D, TargetVelocity = 99, ModeOfOperation = 8 }, outBytes);
        Assert.Equal(new byte[] { 0x0D, 0x0C, 0x0B, 0x0A, 0, 0x34, 0x12 }, outBytes);
        var inputs = new DriveInputs { VelocityActual = 5, TorqueActual = 6 };
        codec.Decode(new byte[] { 1, 0, 0, 0, 0x37, 0x02 }, ref inputs);
        Assert.Equal(1, inputs.PositionActual);
        Assert.Equal(0x0237, inputs.Statusword);
        Assert.Equal(5, inputs.VelocityActual); // not mapped: untouched
        Assert.Equal(6, inputs.TorqueActual);
        Assert.False(codec.MapsTargetVelocity);
    }

    [Fact]
    public void A_wrongly_sized_or_unaligned_object_is_refused_at_prepare()
    {
        IReadOnlyList<Pdo> tx = BenchMappings.DriveTx();
        IReadOnlyList<Pdo> badSize = [new Pdo(0x1600, 2, "", [new PdoEntry(0x6040, 0, 16), new PdoEntry(0x607A, 0, 16)])];
        var e = Assert.Throws<EtherCatException>(() => new Cia402Codec(badSize, tx, "drive 4"));
        Assert.Contains("0x607A:00 is mapped with 16 bits, 32 expected", e.Message);
        IReadOnlyList<Pdo> unaligned = [new Pdo(0x1600, 2, "", [new PdoEntry(0, 0, 4), new PdoEntry(0x6040, 0, 16), new PdoEntry(0x607A, 0, 32)])];
        var e2 = Assert.Throws<EtherCatException>(() => new Cia402Codec(unaligned, tx, "drive 4"));
        Assert.Contains("bit 4", e2.Message);
        IReadOnlyList<Pdo> noControlword = [new Pdo(0x1600, 2, "", [new PdoEntry(0x607A, 0, 32)])];
        Assert.Throws<EtherCatException>(() => new Cia402Codec(noControlword, tx, "drive 4"));
    }

    [Fact]
    public void Bus_benchmark_helpers_print_figures_and_the_codec_allocates_nothing()
    {
        var sw = new StringWriter();
        double median = BusPerf.EncodeDecode(sw, samples: 501, innerLoop: 100);
        Assert.True(median > 0);
        Assert.Contains("bus.frame.encode_decode.allocated: 0 bytes", sw.ToString());
        var opts = BringUpTests.FastOptions();
        BusPerf.BringUp(sw, () => new LoopbackLink(EscBenchSegment.Create(2, 1)), BringUpTests.BenchIdentities(2, 1), opts, repetitions: 1);
        var b = FieldbusTests.Start(2, 1);
        BusPerf.RoundTrip(sw, b.Fieldbus, b.State, cycles: 500);
        output.WriteLine(sw.ToString());
        Assert.Contains("bus.roundtrip.faults: 0 count", sw.ToString());
        Assert.Contains("bus.bringup.median", sw.ToString());
    }
}
