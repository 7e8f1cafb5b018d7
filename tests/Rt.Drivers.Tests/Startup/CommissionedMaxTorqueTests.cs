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
    public void A_drive_whose_own_0x6072_is_0_is_refused_in_preop_naming_the_joint_and_the_bus_goes_back_to_init()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        var (segment, link, master) = Bus(config);
        using var _ = link;
        var hip = config.Joints.Single(j => j.Name == "r_hip_pitch");
        EscBenchSegment.Drives(segment)[hip.Drive].Od.Find(0x6072, 0)!.Set((ushort)0);

        var e = Assert.Throws<EtherCatException>(() => master.BringUp(config, 0));
        Assert.True(e.IsConfigMismatch);
        Assert.Contains("joint r_hip_pitch", e.Message);
        Assert.Contains($"position {hip.Drive}", e.Message);
        Assert.Contains("0x6072 max torque is 0", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.All(segment.Slaves, s => Assert.Equal(EscAlState.Init, s.Esc.State));
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
