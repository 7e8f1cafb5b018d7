using Rt.Core.Config;
using Rt.Core.Tick;

namespace Rt.Hil.Campaign;

/// <summary>
/// Isolation accuracy (issue 13): what the trip's safety event isolated (class and location, from its
/// <see cref="FaultDiagnosis"/>) next to the injected truth (from the scenario's first injection), by name.
/// Not real-time safe (strings); used when a run is finished.
/// </summary>
public static class IsolationScore
{
    /// <summary>The injected fault's class and location name, or null for injections that are not a robot fault (broker, CPU hog).</summary>
    public static (string Class, string Location)? Truth(Injection injection, RtConfig config)
    {
        ArgumentNullException.ThrowIfNull(injection);
        ArgumentNullException.ThrowIfNull(config);
        string target = injection.Target ?? "";
        return injection.Kind switch
        {
            InjectionKind.CollisionObstacle or InjectionKind.CollisionWrench or InjectionKind.Payload => (Name(FaultClass.Collision), target),
            InjectionKind.JointFriction or InjectionKind.TorqueLoss => (Name(FaultClass.Actuator), target),
            InjectionKind.EncoderFreeze or InjectionKind.EncoderJump or InjectionKind.EncoderNoise => (Name(FaultClass.Sensor), target),
            InjectionKind.ImuBias => (Name(FaultClass.Sensor), ImuAxis(injection) is int a ? $"{target}.{"xyz"[a]}" : target),
            InjectionKind.ImuFreeze or InjectionKind.ImuSaturation => (Name(FaultClass.Sensor), target),
            InjectionKind.SlaveSafeOp => (Name(FaultClass.Bus), SlaveName(config, SlaveOf(config, target))),
            InjectionKind.FrameLoss or InjectionKind.LinkDown => (Name(FaultClass.Bus), "bus"),
            _ => null,
        };
    }

    /// <summary>What a diagnosis names, by the robot's names: a link, a joint, an IMU (with its axis), a slave, or "bus".</summary>
    public static (string Class, string Location) Isolated(FaultDiagnosis d, RtConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int i = d.Location;
        string location = d.Site switch
        {
            FaultSite.Link => i >= 0 && i < config.Joints.Count
                ? config.Description?.FindJoint(config.Joints[i].Name)?.Child ?? $"link of {config.Joints[i].Name}" : $"link {i}",
            FaultSite.Joint => i >= 0 && i < config.Joints.Count ? config.Joints[i].Name : $"joint {i}",
            FaultSite.Imu => (i >= 0 && i < config.Imus.Count ? config.Imus[i].Name : $"imu {i}") + (d.Axis is >= 0 and < 3 ? $".{"xyz"[d.Axis]}" : ""),
            FaultSite.Slave => SlaveName(config, i),
            _ => d.Class == FaultClass.Bus ? "bus" : "",
        };
        return (Name(d.Class), location);
    }

    /// <summary>
    /// Whether the isolated location is the injected one. An IMU named without an axis, or an injection without one,
    /// matches on the IMU; a multi-axis bias matches any of its axes.
    /// </summary>
    public static bool SameLocation(string isolated, string truth, Injection injection)
    {
        ArgumentNullException.ThrowIfNull(injection);
        if (string.Equals(isolated, truth, StringComparison.Ordinal)) return true;
        if (injection.Kind is InjectionKind.ImuBias or InjectionKind.ImuFreeze or InjectionKind.ImuSaturation && injection.Target is { } imu)
        {
            if (isolated == imu) return true;
            if (!isolated.StartsWith(imu + ".", StringComparison.Ordinal) || isolated.Length != imu.Length + 2) return false;
            int axis = "xyz".IndexOf(isolated[^1], StringComparison.Ordinal);
            if (injection.Kind != InjectionKind.ImuBias) return true;
            return axis >= 0 && (Nonzero(injection.GyroBiasRadS, axis) || Nonzero(injection.AccelBiasMs2, axis));
        }
        return false;
    }

    /// <summary>A link counts as touched by the obstacle when its peak force is at least this share of the largest link's (smaller: a graze).</summary>
    public const double TouchedFraction = 0.1;

    /// <summary>The links touched: peak ≥ <see cref="TouchedFraction"/> × the largest peak (which must be above 0), largest first.</summary>
    public static IReadOnlyList<LinkContact> TouchedLinks(IReadOnlyList<LinkContact> links)
    {
        ArgumentNullException.ThrowIfNull(links);
        double max = 0;
        foreach (var l in links) if (l.PeakN > max) max = l.PeakN;
        var touched = new List<LinkContact>();
        if (!(max > 0)) return touched;
        foreach (var l in links) if (l.PeakN >= TouchedFraction * max) touched.Add(l);
        touched.Sort((a, b) => b.PeakN.CompareTo(a.PeakN));
        return touched;
    }

    /// <summary>
    /// "Named a link the obstacle touched": the strict location right, or — a collision_obstacle run only — the class right
    /// and the isolated location one of the touched links. Null when the run was not scored (<paramref name="locationRight"/> null).
    /// </summary>
    public static bool? NamedTouchedLink(bool? classRight, bool? locationRight, InjectionKind? kind, string? isolatedLocation, IReadOnlyList<LinkContact>? touched)
    {
        if (locationRight is null) return null;
        if (locationRight == true) return true;
        if (kind != InjectionKind.CollisionObstacle || classRight != true || isolatedLocation is null || touched is null) return false;
        foreach (var l in touched) if (string.Equals(l.Link, isolatedLocation, StringComparison.Ordinal)) return true;
        return false;
    }

    public static string Name(FaultClass c) => c switch
    {
        FaultClass.Collision => "collision",
        FaultClass.Sensor => "sensor",
        FaultClass.Actuator => "actuator",
        FaultClass.Bus => "bus",
        FaultClass.Limit => "limit",
        FaultClass.Timing => "timing",
        FaultClass.Operator => "operator",
        FaultClass.System => "system",
        _ => "unknown",
    };

    private static int? ImuAxis(Injection injection)
    {
        int? axis = null;
        for (int a = 0; a < 3; a++)
        {
            if (!Nonzero(injection.GyroBiasRadS, a) && !Nonzero(injection.AccelBiasMs2, a)) continue;
            if (axis is not null) return null; // more than one axis: the IMU itself is the location
            axis = a;
        }
        return axis;
    }

    private static bool Nonzero(double[]? v, int a) => v is { Length: 3 } && v[a] != 0;

    private static int SlaveOf(RtConfig config, string target)
    {
        foreach (var j in config.Joints) if (j.Name == target) return j.Drive;
        foreach (var i in config.Imus) if (i.Name == target) return i.Device;
        return -1;
    }

    private static string SlaveName(RtConfig config, int slave)
    {
        foreach (var j in config.Joints) if (j.Drive == slave) return $"slave {slave} ({j.Name})";
        foreach (var i in config.Imus) if (i.Device == slave) return $"slave {slave} ({i.Name})";
        return $"slave {slave}";
    }
}
