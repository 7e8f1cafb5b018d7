using System.Net.Sockets;
using Rt.Core.Config;
using Rt.Hil.Esc.Esc;
using Rt.Hil.Esc.Segment;
using Rt.Hil.Campaign;
using Rt.Hil.Campaign.Realtime;
using Rt.Session;
using Rt.TestSupport;
using Xunit;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests.Realtime;

/// <summary>The control protocol of <c>rt hil serve --control</c>: parsing, rejections with the field named, and the socket applying lines between frames.</summary>
public sealed class ControlProtocolTests : IDisposable
{
    private readonly TempFolders _temp = new(); // deleted after the test

    public void Dispose() => _temp.Dispose();

    private string TempDir() => _temp.New("rt-control-");

    [Fact]
    public void A_wrench_line_parses_with_its_tick_target_and_vector()
    {
        var c = ControlProtocol.TryParse("""{"tick":2500,"kind":"collision_wrench","target":"l_shin","force_n":[0,0,-300]}""", out string error);
        Assert.NotNull(c);
        Assert.Equal("", error);
        Assert.Equal(2500, c!.Tick);
        Assert.False(c.End);
        Assert.Equal(InjectionKind.CollisionWrench, c.Injection.Kind);
        Assert.Equal("l_shin", c.Injection.Target);
        Assert.Equal([0, 0, -300], c.Injection.ForceN!);
    }

    [Fact]
    public void Format_and_parse_round_trip_every_served_parameter()
    {
        var original = new ControlCommand(17, false, new Injection
        {
            Kind = InjectionKind.ImuBias, AtS = 0, Target = "pelvis_imu",
            AccelBiasMs2 = [0.5, -0.25, 1e-3], GyroBiasRadS = [0, 0.1, 0],
        });
        var back = ControlProtocol.TryParse(ControlProtocol.Format(original), out string error);
        Assert.True(back != null, error);
        Assert.Equal(original.Tick, back!.Tick);
        Assert.Equal(original.Injection.AccelBiasMs2, back.Injection.AccelBiasMs2);
        Assert.Equal(original.Injection.GyroBiasRadS, back.Injection.GyroBiasRadS);

        var end = ControlProtocol.TryParse(ControlProtocol.Format(original with { Tick = 40, End = true }), out error);
        Assert.True(end is { End: true, Tick: 40 }, error);
    }

    [Theory]
    [InlineData("", "empty line")]
    [InlineData("{tick:1}", "not JSON")]
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("""{"tick":1,"kind":"encoder_freeze","target":"l_knee","colour":"red"}""", "unknown field 'colour'")]
    [InlineData("""{"kind":"encoder_freeze","target":"l_knee"}""", "field 'tick'")]
    [InlineData("""{"tick":-3,"kind":"encoder_freeze","target":"l_knee"}""", "field 'tick'")]
    [InlineData("""{"tick":1.5,"kind":"encoder_freeze","target":"l_knee"}""", "field 'tick'")]
    [InlineData("""{"tick":1,"kind":"gremlins","target":"l_knee"}""", "unknown kind 'gremlins'")]
    [InlineData("""{"tick":1,"kind":"link_down"}""", "not applied by the serve process")]
    [InlineData("""{"tick":1,"kind":"cpu_hog"}""", "not applied by the serve process")]
    [InlineData("""{"tick":1,"kind":"encoder_freeze"}""", "field 'target'")]
    [InlineData("""{"tick":1,"kind":"encoder_freeze","target":"l_knee","phase":"middle"}""", "field 'phase'")]
    [InlineData("""{"tick":1,"kind":"torque_loss","target":"l_knee","scale":1.5}""", "field 'scale'")]
    [InlineData("""{"tick":1,"kind":"collision_wrench","target":"l_shin","force_n":[0,0]}""", "field 'force_n'")]
    [InlineData("""{"tick":1,"kind":"collision_wrench","target":"l_shin","force_n":[0,"x",0]}""", "field 'force_n[1]'")]
    [InlineData("""{"tick":1,"kind":"collision_wrench","target":"l_shin"}""", "field 'force_n'")]
    [InlineData("""{"tick":1,"kind":"frame_loss","frames":0}""", "field 'frames'")]
    [InlineData("""{"tick":1,"kind":"payload","target":"l_foot","mass_kg":"heavy"}""", "field 'mass_kg'")]
    public void A_bad_line_is_rejected_with_the_field_and_what_was_expected(string line, string expected)
    {
        var c = ControlProtocol.TryParse(line, out string error);
        Assert.Null(c);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void The_socket_is_0600_answers_per_line_and_applies_only_between_frames()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        using var rig = BenchRig.Create(config, new SessionOptions { Bench = true });
        var bridge = new BenchBridge(rig.Bench, config);
        string dir = TempDir();
        string path = Path.Combine(dir, "control.sock");
        using var server = new ControlSocketServer(path, new ServedFaults(rig.Bench, bridge.Segment, config));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        int knee = config.Joints.FindIndex(j => j.Name == "l_knee");
        var drive = rig.Bench.Drives[knee];
        using (var client = ControlSocketClient.Connect(path, TimeSpan.FromSeconds(5)))
        {
            Assert.Equal("ok", client.Send("""{"tick":10,"kind":"encoder_freeze","target":"l_knee"}"""));
            string refused = client.Send("""{"tick":10,"kind":"encoder_freeze","target":"l_elbow"}""")!;
            Assert.StartsWith("error: field 'target': ", refused);
            Assert.Contains("'l_elbow'", refused);
            Assert.StartsWith("error: not JSON", client.Send("freeze the knee please"));
            Assert.Equal("ok", client.Send("""{"tick":10,"kind":"slave_safeop","target":"r_foot_imu"}"""));
            Assert.Equal("ok", client.Send("""{"tick":10,"kind":"frame_loss","frames":7}"""));

            // Accepted, but nothing changes until the frame thread reaches the next boundary.
            Assert.False(drive.EncoderFrozen);
            Assert.Equal(0, bridge.Segment.DropNextFrames);
            Assert.Equal(3, server.ApplyPending());
            Assert.True(drive.EncoderFrozen);
            Assert.Equal(7, bridge.Segment.DropNextFrames);
            var imuSlave = bridge.Segment.Slaves[config.Imus.Single(i => i.Name == "r_foot_imu").Device];
            Assert.Equal(AlState.SafeOp, imuSlave.Esc.State);

            Assert.Equal("ok", client.Send("""{"tick":20,"kind":"encoder_freeze","target":"l_knee","phase":"end"}"""));
            Assert.Equal(1, server.ApplyPending());
            Assert.False(drive.EncoderFrozen);
        }
        Assert.Equal(4, server.Accepted);
        Assert.Equal(2, server.Rejected);
    }

    [Fact]
    public void An_injection_ends_by_restoring_the_value_from_before_it_started()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        using var rig = BenchRig.Create(config, new SessionOptions { Bench = true });
        var bridge = new BenchBridge(rig.Bench, config);
        var faults = new ServedFaults(rig.Bench, bridge.Segment, config);
        int knee = config.Joints.FindIndex(j => j.Name == "r_knee");
        var drive = rig.Bench.Drives[knee];
        int offset0 = drive.EncoderOffsetCounts;
        double mass0 = rig.Bench.Plant.GetLinkMass("l_foot");

        Apply(faults, """{"tick":1,"kind":"encoder_jump","target":"r_knee","offset_rad":0.1}""");
        Apply(faults, """{"tick":1,"kind":"payload","target":"l_foot","mass_kg":2}""");
        Apply(faults, """{"tick":1,"kind":"torque_loss","target":"r_knee","scale":0.25}""");
        Assert.Equal(offset0 + (int)Math.Round(0.1 * drive.Scaling.CountsPerRadian), drive.EncoderOffsetCounts);
        Assert.Equal(mass0 + 2, rig.Bench.Plant.GetLinkMass("l_foot"), 9);
        Assert.Equal(0.25, drive.TorqueScale);

        Apply(faults, """{"tick":2,"kind":"encoder_jump","target":"r_knee","phase":"end"}""");
        Apply(faults, """{"tick":2,"kind":"payload","target":"l_foot","phase":"end"}""");
        Apply(faults, """{"tick":2,"kind":"torque_loss","target":"r_knee","phase":"end"}""");
        Assert.Equal(offset0, drive.EncoderOffsetCounts);
        Assert.Equal(mass0, rig.Bench.Plant.GetLinkMass("l_foot"), 9);
        Assert.Equal(1.0, drive.TorqueScale);
    }

    [Fact]
    public void An_obstacle_samples_its_link_on_one_boundary_and_is_placed_on_the_next()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        using var rig = BenchRig.Create(config, new SessionOptions { Bench = true });
        var bridge = new BenchBridge(rig.Bench, config);
        string path = Path.Combine(TempDir(), "control.sock");
        using var server = new ControlSocketServer(path, new ServedFaults(rig.Bench, bridge.Segment, config));
        var parked = rig.Bench.Plant.ObstaclePosition(0);
        Assert.Equal("ok", server.Handle("""{"tick":5,"kind":"collision_obstacle","target":"l_shin"}"""));
        Assert.Equal(0, server.ApplyPending());
        Assert.Equal(parked, rig.Bench.Plant.ObstaclePosition(0));
        Assert.Equal(1, server.ApplyPending());
        var placed = rig.Bench.Plant.ObstaclePosition(0);
        var shin = rig.Bench.Plant.LinkWorldPosition(rig.Bench.Plant.LinkIndex("l_shin"));
        Assert.True(Math.Abs(placed.X - shin.X) + Math.Abs(placed.Y - shin.Y) < 0.5, $"obstacle at {placed}, shin at {shin}");
        Assert.Equal("ok", server.Handle("""{"tick":9,"kind":"collision_obstacle","target":"l_shin","phase":"end"}"""));
        Assert.Equal(1, server.ApplyPending());
        Assert.Equal(parked, rig.Bench.Plant.ObstaclePosition(0));
    }

    [Fact]
    public void A_client_that_finds_no_socket_gives_up_after_its_timeout()
    {
        string path = Path.Combine(TempDir(), "absent.sock");
        Assert.ThrowsAny<SocketException>(() => ControlSocketClient.Connect(path, TimeSpan.FromMilliseconds(200)));
    }

    private static void Apply(ServedFaults faults, string line)
    {
        var c = ControlProtocol.TryParse(line, out string error) ?? throw new InvalidOperationException(error);
        faults.Apply(faults.Prepare(c, out error) ?? throw new InvalidOperationException(error));
    }
}
