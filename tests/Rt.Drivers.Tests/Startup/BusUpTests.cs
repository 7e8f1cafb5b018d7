using Rt.Core.Config;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Devices;
using Rt.Drivers.EtherCat.Esi;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Startup;
using Rt.Drivers.Tests.Esi;
using Rt.Drivers.Tests.EtherCat;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Segment;
using Xunit.Abstractions;
using EscAlState = Rt.Hil.Esc.Esc.AlState;

namespace Rt.Drivers.Tests.Startup;

/// <summary>Generic bring-up, startup commands and PDO configuration over the in-process emulator (real frames through emulated ESCs).</summary>
public sealed class BusUpTests(ITestOutputHelper output)
{
    private static BusUpReport Up(EscSegment segment, BusUpOptions? options = null)
    {
        using var link = new LoopbackLink(segment);
        return BusUp.Run(link, options ?? new BusUpOptions { DurationNs = 20_000_000 }, BringUpTests.FastOptions());
    }

    private static EsiLibrary BenchEsi(string? xml = null) => new([EsiReader.ReadText(xml ?? TestEsi.BenchDrive, "bench.xml")]);

    private static RtConfig ConfigWith(params SlaveIdentityConfig[] slaves) => new() { SourcePath = "robot.yaml", Bus = new BusSection { Slaves = [.. slaves] } };

    private static SlaveIdentityConfig Drive(int position) => new() { Position = position, Vendor = BenchDevices.Vendor, Product = BenchDevices.DriveProduct, Revision = BenchDevices.DriveRevision };

    private static SlaveIdentityConfig Imu(int position) => new() { Position = position, Vendor = BenchDevices.Vendor, Product = BenchDevices.ImuProduct, Revision = BenchDevices.ImuRevision };

    private static void AssertAllInit(EscSegment segment) => Assert.All(segment.Slaves, s => Assert.Equal(EscAlState.Init, s.Esc.State));

    private static void AssertOneLine(string? message)
    {
        Assert.NotNull(message);
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain("   at ", message);
    }

    [Fact]
    public void Any_bus_goes_to_op_exchanges_process_data_and_comes_down_in_order()
    {
        var segment = EscBenchSegment.Create(2, 1);
        var r = Up(segment);
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        Assert.Null(r.Error);
        Assert.True(r.AllOp);
        Assert.Equal(3, r.Slaves.Count);
        Assert.Equal(25, r.Slaves[0].RxBytes); // with 0x6072 and 0x60FE:01
        Assert.Equal(15, r.Slaves[0].TxBytes);
        Assert.Equal(32, r.Slaves[2].TxBytes);
        Assert.True(r.Cycles >= 19, $"{r.Cycles} cycles in 20 ms of 1 ms cycles");
        Assert.Equal(r.Cycles, r.WorkingCounterOk);
        Assert.Equal(2 * 2 + 3, r.ExpectedWorkingCounter);
        Assert.All(r.FinalStates, s => Assert.Equal(Rt.Drivers.EtherCat.SubDevices.AlState.Init, s.State));
        AssertAllInit(segment);
        Assert.All(EscBenchSegment.Drives(segment), d => Assert.Equal(0, d.Command.Controlword)); // nothing enabled
        Assert.Contains("bring-up:", r.ToString());
    }

    [Fact]
    public void Esi_init_commands_run_and_the_default_pdos_are_written_and_read_back()
    {
        var segment = EscBenchSegment.Create(1, 1);
        var drive = EscBenchSegment.Drives(segment)[0];
        drive.Od.Find(0x60C2, 1)!.Set((byte)5);
        drive.Od.Find(0x60C2, 2)!.Set((sbyte)0);
        var r = Up(segment, new BusUpOptions { Esi = BenchEsi(), DurationNs = 5_000_000 });
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("Rt bench servo drive", r.Slaves[0].EsiName);
        Assert.Equal("Rt bench IMU", r.Slaves[1].EsiName);
        Assert.Equal(-3, drive.Od.Find(0x60C2, 2)!.I8); // PS InitCmd (0x6060 = 8 runs too, but the zero outputs overwrite it in OP)
        Assert.Equal(1, drive.Od.Find(0x60C2, 1)!.U8); // IP+PS InitCmd
        Assert.Equal("CoE", r.Slaves[0].MappingSource);
        Assert.Equal(19, r.Slaves[0].RxBytes); // the test's own ESI maps the 19-byte RxPDO, and it is what the master writes
        Assert.Empty(r.Notes);
    }

    [Fact]
    public void Config_remaps_a_drive_and_the_sync_managers_follow_the_new_mapping()
    {
        var segment = EscBenchSegment.Create(1, 0);
        var cfg = Drive(0);
        cfg.Pdo = new SlavePdoConfig
        {
            Rx = [0x1600],
            Map = [new PdoMappingConfig { Pdo = 0x1600, Entries = [0x60400010, 0x607A0020] }, new PdoMappingConfig { Pdo = 0x1A00, Entries = [0x60410010, 0x60640020] }],
        };
        cfg.Startup = [new SlaveSdoWriteConfig { Index = 0x6060, SubIndex = 0, Bits = 8, Value = 9, Comment = "CSV" }];
        // The ESI says 0x6060 = 8 on PS; the config says 9 and wins.
        var r = Up(segment, new BusUpOptions { Esi = BenchEsi(), Config = ConfigWith(cfg), DurationNs = 5_000_000 });
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        var drive = EscBenchSegment.Drives(segment)[0];
        Assert.Equal(6, drive.RxMap.TotalBytes);
        Assert.Equal(6, drive.TxMap.TotalBytes);
        Assert.Equal(6, r.Slaves[0].RxBytes);
        Assert.Equal(6, r.Slaves[0].TxBytes);
        Assert.Equal(9, drive.Od.Find(0x6060, 0)!.I8);
        Assert.True(r.WorkingCounterOk > 0);
        Assert.Equal(0, r.WorkingCounterWrong);
    }

    [Fact]
    public void Esi_for_another_revision_is_used_with_a_note()
    {
        var segment = EscBenchSegment.Create(1, 0);
        string xml = TestEsi.BenchDrive.Replace("RevisionNo=\"#x00010000\">RT-SERVO-402", "RevisionNo=\"#x00020000\">RT-SERVO-402", StringComparison.Ordinal);
        var r = Up(segment, new BusUpOptions { Esi = BenchEsi(xml), DurationNs = 2_000_000 });
        Assert.Equal(0, r.ExitCode);
        var note = Assert.Single(r.Notes);
        Assert.Contains("position 0", note);
        Assert.Contains("only for revision 0x00020000", note);
        Assert.Contains("(other rev.)", r.Slaves[0].EsiName);
    }

    [Fact]
    public void The_startup_and_pdo_keys_bind_from_yaml_and_remap_the_drive()
    {
        const string yaml = """
            bus:
              kind: ether_cat
              slaves:
                - position: 0
                  vendor: 0x00000E7A
                  product: 0x00000402
                  revision: 0x00010000
                  startup:
                    - { index: 0x60C2, sub_index: 1, bits: 8, value: 2, comment: interpolation period 2 ms }
                  pdo:
                    rx: [0x1600]
                    tx: [0x1A00]
                    map:
                      - { pdo: 0x1600, entries: [0x60400010, 0x60710010] }
                      - { pdo: 0x1A00, entries: [0x60410010, 0x60640020, 0x60770010] }
            """;
        var config = ConfigLoader.Bind(yaml, "robot.yaml", new ConfigKeyLines());
        Assert.Equal([0x1600u], config.Bus.Slaves[0].Pdo.Rx);
        Assert.Equal(0x60770010u, config.Bus.Slaves[0].Pdo.Map[1].Entries[2]);
        var segment = EscBenchSegment.Create(1, 0);
        var r = Up(segment, new BusUpOptions { Config = config, DurationNs = 2_000_000 });
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        var drive = EscBenchSegment.Drives(segment)[0];
        Assert.Equal(2, drive.Od.Find(0x60C2, 1)!.U8);
        Assert.Equal(4, r.Slaves[0].RxBytes);
        Assert.Equal(8, r.Slaves[0].TxBytes);
    }

    [Fact]
    public void A_config_value_out_of_range_is_bad_input_naming_the_key()
    {
        var cfg = Drive(0);
        cfg.Startup = [new SlaveSdoWriteConfig { Index = 0x6060, Bits = 8, Value = 300 }];
        var r = Up(EscBenchSegment.Create(1, 0), new BusUpOptions { Config = ConfigWith(cfg) });
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("robot.yaml: bus.slaves[0].startup[0].value: expected a value that fits 8 bits (-128…255), found 300", r.Error);
    }

    // ------------------------------------------------------------ the matrix of mismatched buses

    public static TheoryData<string> Mismatches => ["too few", "too many", "wrong identity", "object the drive lacks", "role object unmapped"];

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void A_bus_that_contradicts_the_config_is_one_line_exit_2_and_init(string kind)
    {
        var segment = EscBenchSegment.Create(2, 0);
        RtConfig config = kind switch
        {
            "too few" => ConfigWith(Drive(0), Drive(1), Imu(2)),
            "too many" => ConfigWith(Drive(0)),
            "wrong identity" => ConfigWith(Drive(0), Imu(1)),
            "object the drive lacks" => ConfigWith(Drive(0), WithMap(Drive(1), 0x1600, 0x60400010, 0x12340020)),
            _ => ConfigWith(Drive(0), WithMap(Drive(1), 0x1A00, 0x60410010)),
        };
        if (kind == "role object unmapped") config.Joints = [new JointDriveConfig { Name = "l_knee", Drive = 1 }];
        var r = Up(segment, new BusUpOptions { Config = config });
        output.WriteLine(r.Error);
        Assert.Equal(2, r.ExitCode);
        AssertOneLine(r.Error);
        AssertAllInit(segment);
        string expected = kind switch
        {
            "too few" => "the bus has 2 slaves, robot.yaml bus.slaves describes 3: nothing answers at position 2",
            "too many" => "the bus has 2 slaves, robot.yaml bus.slaves describes 1: slave at position 1 (vendor 0x00000E7A product 0x00000402",
            "wrong identity" => "slave at position 1: identity mismatch: expected vendor 0x00000E7A product 0x00000100",
            "object the drive lacks" => "maps 0x1234:00, which the slave does not have (0x06020000 the object does not exist in the object dictionary)",
            _ => "joint l_knee at slave at position 1 (vendor 0x00000E7A product 0x00000402 revision 0x00010000 'Rt bench servo drive'): needs 0x6064:00 position actual value in its TxPDOs",
        };
        Assert.Contains(expected, r.Error);
    }

    private static SlaveIdentityConfig WithMap(SlaveIdentityConfig s, uint pdo, params uint[] entries)
    {
        s.Pdo = new SlavePdoConfig { Map = [new PdoMappingConfig { Pdo = pdo, Entries = [.. entries] }] };
        return s;
    }

    [Fact]
    public void A_startup_sdo_the_drive_aborts_names_slave_object_and_abort_code_exit_3_and_init()
    {
        var segment = EscBenchSegment.Create(2, 0);
        var cfg = Drive(1);
        cfg.Startup = [new SlaveSdoWriteConfig { Index = 0x6060, Bits = 8, Value = 127, Comment = "mode" }];
        var r = Up(segment, new BusUpOptions { Config = ConfigWith(Drive(0), cfg) });
        output.WriteLine(r.Error);
        Assert.Equal(3, r.ExitCode);
        AssertOneLine(r.Error);
        Assert.StartsWith("slave at position 1 (vendor 0x00000E7A product 0x00000402 revision 0x00010000 'Rt bench servo drive'): startup SDO write 0x6060:00 = 7F (config bus.slaves[1].startup[0] 'mode')", r.Error);
        Assert.Contains("aborted: 0x06090030 value range of parameter exceeded", r.Error);
        AssertAllInit(segment);
    }

    [Fact]
    public void A_mapping_the_drive_refuses_names_the_pdo_and_abort_code()
    {
        var segment = EscBenchSegment.Create(1, 0);
        // 0x1018:01 exists but is not PDO-mappable: the drive refuses when the count is written.
        var r = Up(segment, new BusUpOptions { Config = ConfigWith(WithMap(Drive(0), 0x1600, 0x60400010, 0x10180120)) });
        output.WriteLine(r.Error);
        Assert.Equal(3, r.ExitCode);
        AssertOneLine(r.Error);
        Assert.Contains("PDO mapping 0x1600 from config bus.slaves[0].pdo: entry 2 = 0x10180120: SDO download 0x1600:02 aborted", r.Error);
        Assert.Contains("0x06040041 the object cannot be mapped into the PDO", r.Error);
        AssertAllInit(segment);
    }

    [Fact]
    public void A_slave_refusing_safe_op_is_named_with_its_al_status_code_and_the_others_still_go_to_op()
    {
        var segment = EscBenchSegment.Create(3, 0);
        segment.Slaves[1].Esc.RefuseState = EscAlState.SafeOp;
        segment.Slaves[1].Esc.RefusalCode = 0x001A;
        var r = Up(segment);
        output.WriteLine(r.ToString());
        Assert.Equal(3, r.ExitCode);
        AssertOneLine(r.Error);
        Assert.Contains("slave at position 1 (station 0x1002) refused SafeOp: it is in PreOp, AL status code 0x001A synchronization error", r.Error);
        Assert.Equal(Rt.Drivers.EtherCat.SubDevices.AlState.Op, r.Slaves[0].Reached.State);
        Assert.Equal(Rt.Drivers.EtherCat.SubDevices.AlState.PreOp, r.Slaves[1].Reached.State);
        Assert.Equal(Rt.Drivers.EtherCat.SubDevices.AlState.Op, r.Slaves[2].Reached.State);
        AssertAllInit(segment);
    }

    [Fact]
    public void The_typestate_bring_up_from_a_robot_config_runs_startup_and_refuses_op_on_a_failure()
    {
        var segment = EscBenchSegment.Create(1, 0);
        using var link = new LoopbackLink(segment);
        var cfg = Drive(0);
        cfg.Startup = [new SlaveSdoWriteConfig { Index = 0x60C2, SubIndex = 1, Bits = 8, Value = 10 }];
        var config = ConfigWith(cfg);
        config.Bus.DistributedClocks = false;
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        master.BringUp(config, 0);
        Assert.Equal(10, EscBenchSegment.Drives(segment)[0].Od.Find(0x60C2, 1)!.U8);

        segment.Slaves[0].Esc.RefuseState = EscAlState.Op;
        var master2 = new EtherCatMaster(link, BringUpTests.FastOptions());
        var e = Assert.Throws<Rt.Drivers.EtherCat.SubDevices.AlStateRefusedException>(() => master2.BringUp(config, 0));
        Assert.Contains("refused Op", e.Message);
        AssertAllInit(segment);
    }
}
