using Rt.Core.Config;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Link;
using Rt.Hil.Esc.Segment;
using Rt.TestSupport;
using EscAlState = Rt.Hil.Esc.Esc.AlState;

namespace Rt.Drivers.Tests.Startup;

/// <summary>Each joint drive's own 0x6072, read by SDO in PREOP (over the slave emulator), is the ceiling of what the host writes.</summary>
public sealed class CommissionedMaxTorqueTests
{
    private static (EscSegment Segment, LoopbackLink Link, EtherCatMaster Master) Bus(RtConfig config)
    {
        var segment = EscBenchSegment.FromConfig(config);
        var link = new LoopbackLink(segment);
        return (segment, link, new EtherCatMaster(link, MasterOptions.FromConfig(config)));
    }

    [Fact]
    public void The_drives_own_0x6072_is_read_in_preop_before_the_cyclic_frame_overwrites_it()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        var (segment, link, master) = Bus(config);
        using var _ = link;
        int knee = config.Joints.FindIndex(j => j.Name == "l_knee");
        var drive = EscBenchSegment.Drives(segment)[config.Joints[knee].Drive];
        drive.Od.Find(0x6072, 0)!.Set((ushort)420); // commissioned lower than the bench's default 3000 ‰

        var fieldbus = EtherCatFieldbus.FromConfig(master.BringUp(config, 0), config);

        Assert.Equal(420, fieldbus.DriveMaxTorque[knee]);
        for (int j = 0; j < config.Joints.Count; j++)
            if (j != knee) Assert.Equal(3000, fieldbus.DriveMaxTorque[j]);
        // The bench servo maps 0x6072: no warning.
        Assert.DoesNotContain(fieldbus.Notes, n => n.Contains("0x6072", StringComparison.Ordinal));
    }

    [Fact]
    public void A_drive_whose_own_0x6072_reads_0_is_no_ceiling_and_gets_one_note_line_naming_the_joint()
    {
        // 0 is what a cyclic frame with all-zero outputs leaves in an RxPDO-mapped 0x6072 (`rt bus` in OP does that):
        // refusing it would lock the robot out after any bus test; the host's configured limit governs instead.
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        var (segment, link, master) = Bus(config);
        using var _ = link;
        int hip = config.Joints.FindIndex(j => j.Name == "r_hip_pitch");
        EscBenchSegment.Drives(segment)[config.Joints[hip].Drive].Od.Find(0x6072, 0)!.Set((ushort)0);

        var fieldbus = EtherCatFieldbus.FromConfig(master.BringUp(config, 0), config);

        Assert.Equal(0, fieldbus.DriveMaxTorque[hip]);
        var note = Assert.Single(fieldbus.Notes, n => n.Contains("0x6072", StringComparison.Ordinal));
        Assert.Contains($"slave {config.Joints[hip].Drive} (joint r_hip_pitch)", note);
        Assert.Contains("reads 0", note);
        Assert.DoesNotContain('\n', note);
        // The motion clamp is the configured one (as with no 0x6072 read at all), not 0.
        Assert.Equal(new Rt.ControlLoop.Pipeline.JointIo(config).MotionMaxTorque(hip), new Rt.ControlLoop.Pipeline.JointIo(config, fieldbus.DriveMaxTorque).MotionMaxTorque(hip));
        Assert.True(new Rt.ControlLoop.Pipeline.JointIo(config, fieldbus.DriveMaxTorque).MotionMaxTorque(hip) > 0);
    }

    [Fact]
    public void A_drive_without_0x6072_in_its_rxpdo_gets_one_warning_line_naming_the_slave()
    {
        var config = ConfigLoader.Load(RepoPaths.Combine("hil", "robots", "arm6", "arm6.yaml"));
        var (_, link, master) = Bus(config);
        using var __ = link;

        var fieldbus = EtherCatFieldbus.FromConfig(master.BringUp(config, 0), config);

        var warnings = fieldbus.Notes.Where(n => n.Contains("0x6072", StringComparison.Ordinal)).ToList();
        Assert.Equal(config.Joints.Count, warnings.Count); // arm6's AXM drives do not map it: one line per drive
        for (int j = 0; j < config.Joints.Count; j++)
        {
            var w = Assert.Single(warnings, x => x.Contains($"slave {config.Joints[j].Drive} (joint {config.Joints[j].Name})", StringComparison.Ordinal));
            Assert.StartsWith("warning: ", w);
            Assert.Contains("the collision hold cannot limit torque on it", w);
        }
    }
}
