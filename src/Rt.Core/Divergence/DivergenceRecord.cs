namespace Rt.Core.Divergence;

/// <summary>What a cross-check channel compares.</summary>
public enum ChannelKind : byte
{
    JointPosition,
    JointVelocity,
    JointTorque,
    ImuAngularRate,
    ImuSpecificForce,
    ExternalTorque,
}

/// <summary>One cross-check channel: its name (e.g. "l_knee.position"), what it compares, which joint/IMU, and its unit.</summary>
public sealed record ChannelInfo(string Name, ChannelKind Kind, int Index, string Unit);

/// <summary>
/// The fixed list of cross-check channels for a robot, built once at start from the joint and IMU names.
/// Order: per joint position, velocity, torque, external torque; then per IMU angular rate, specific force.
/// Telemetry publishes this list in the birth message; the record arrays are indexed by it.
/// </summary>
public sealed class ChannelLayout
{
    public ChannelLayout(IReadOnlyList<string> jointNames, IReadOnlyList<string> imuNames)
    {
        var list = new List<ChannelInfo>();
        for (int j = 0; j < jointNames.Count; j++)
        {
            list.Add(new ChannelInfo($"{jointNames[j]}.position", ChannelKind.JointPosition, j, "rad"));
            list.Add(new ChannelInfo($"{jointNames[j]}.velocity", ChannelKind.JointVelocity, j, "rad/s"));
            list.Add(new ChannelInfo($"{jointNames[j]}.torque", ChannelKind.JointTorque, j, "N·m"));
            list.Add(new ChannelInfo($"{jointNames[j]}.external_torque", ChannelKind.ExternalTorque, j, "N·m"));
        }
        for (int i = 0; i < imuNames.Count; i++)
        {
            list.Add(new ChannelInfo($"{imuNames[i]}.angular_rate", ChannelKind.ImuAngularRate, i, "rad/s"));
            list.Add(new ChannelInfo($"{imuNames[i]}.specific_force", ChannelKind.ImuSpecificForce, i, "m/s²"));
        }
        Channels = list;
        _off = new string?[list.Count];
        JointCount = jointNames.Count;
        ImuCount = imuNames.Count;
        JointNames = jointNames;
        ImuNames = imuNames;
    }

    public IReadOnlyList<ChannelInfo> Channels { get; }
    public int Count => Channels.Count;
    public int JointCount { get; }
    public int ImuCount { get; }
    public IReadOnlyList<string> JointNames { get; }
    public IReadOnlyList<string> ImuNames { get; }

    private readonly string?[] _off;

    /// <summary>
    /// Prepare time, before the twin and supervisor are built: marks a channel off because its measurement does not
    /// exist (e.g. a drive without torque actual 0x6077). An off channel is never scored and never alarms; its record
    /// entries stay 0 and mean nothing. Not real-time safe.
    /// </summary>
    public void MarkOff(ChannelKind kind, int index, string reason)
    {
        int c = IndexOf(kind, index);
        if (c < 0) throw new ArgumentOutOfRangeException(nameof(index), index, $"no {kind} channel {index}");
        _off[c] = reason;
    }

    /// <summary>Whether the channel is off (no measurement). Real-time safe.</summary>
    public bool IsOff(int channel) => _off[channel] is not null;

    /// <summary>Why the channel is off, or null when it is on.</summary>
    public string? OffReason(int channel) => _off[channel];

    public int IndexOf(ChannelKind kind, int index)
    {
        for (int c = 0; c < Channels.Count; c++)
            if (Channels[c].Kind == kind && Channels[c].Index == index) return c;
        return -1;
    }
}

/// <summary>
/// The twin's verdict for one tick: per channel the innovation (measured − predicted, before correction), the
/// normalised score, the detector statistic and whether it is over threshold, plus the estimated external torques.
/// Fixed size, preallocated, overwritten every tick. Real-time safe.
/// </summary>
public sealed class DivergenceRecord
{
    public DivergenceRecord(ChannelLayout layout)
    {
        Layout = layout;
        int n = layout.Count;
        Innovation = new double[n];
        Score = new double[n];
        Detector = new double[n];
        Threshold = new double[n];
        Gate = new double[n];
        OverThreshold = new bool[n];
        ExternalTorque = new double[layout.JointCount];
    }

    public ChannelLayout Layout { get; }
    public long Tick;
    public long TimeNs;

    /// <summary>False until the twin has produced a valid prediction (and while it is disabled).</summary>
    public bool Valid;

    /// <summary>Measured minus predicted (vector channels: Euclidean norm), in the channel's unit.</summary>
    public readonly double[] Innovation;

    /// <summary>Normalised innovation squared (χ² with the channel's degrees of freedom).</summary>
    public readonly double[] Score;

    /// <summary>Detector statistic (CUSUM) compared against <see cref="Threshold"/>.</summary>
    public readonly double[] Detector;

    /// <summary>Detector threshold derived from the configured false-alarm rate.</summary>
    public readonly double[] Threshold;

    /// <summary>χ² gate on <see cref="Score"/> (the other half of the alarm: ratio = max(Detector/Threshold, Score/Gate)); 0 = none.</summary>
    public readonly double[] Gate;

    public readonly bool[] OverThreshold;

    /// <summary>Momentum-observer estimate of the external joint torque, N·m, per joint.</summary>
    public readonly double[] ExternalTorque;

    /// <summary>Channel with the largest Detector/Threshold ratio this tick, or -1.</summary>
    public int WorstChannel = -1;
    public double WorstRatio;

    /// <summary>Number of channels over threshold this tick.</summary>
    public int OverCount;

    /// <summary>
    /// The twin's isolation of this tick's divergence (issue 13): class, location and the test that fired; not isolated
    /// (default) when nothing diverges. <see cref="EvidenceChannel"/>, <see cref="EvidenceValue"/> and
    /// <see cref="EvidenceThreshold"/> are the statistic that shows it (the CUSUM or the χ² gate value, whichever fired).
    /// </summary>
    public Rt.Core.Tick.FaultDiagnosis Diagnosis;
    public int EvidenceChannel = -1;
    public double EvidenceValue, EvidenceThreshold;

    /// <summary>
    /// How many of the robot's chains (the limbs hanging from its base) have a joint position or velocity channel over
    /// threshold this tick (set by the twin's isolator). One sensor's fault shows on one chain; an impact can shake two.
    /// </summary>
    public int ChainsDiverging;

    /// <summary>
    /// The cause after the isolator's evidence window (issue 13): the observer's residual over the ticks after the first
    /// tick over threshold (<see cref="RefinedSinceTick"/>) tells a contact from an actuator or a sensor better than the
    /// trip tick can. Default (and <see cref="RefinedSinceTick"/> −1) until the window has closed; it stays until the
    /// twin is reset. The reaction keeps using <see cref="Diagnosis"/> (the trip tick's); this is what the record names.
    /// </summary>
    public Rt.Core.Tick.FaultDiagnosis RefinedDiagnosis;
    public long RefinedSinceTick = -1;

    /// <summary>
    /// The refined cause's evidence: the channel of the joint that carries it (−1: none) and the window's statistic
    /// against the rule's threshold (a contact: the share of the residual the fit explains; an actuator: R² of its time
    /// signature; an encoder: the share of the window's ticks that named it; a cause kept from the trip tick: its evidence).
    /// </summary>
    public int RefinedEvidenceChannel = -1;
    public double RefinedEvidenceValue, RefinedEvidenceThreshold;

    public void Clear()
    {
        Valid = false;
        Array.Clear(Innovation);
        Array.Clear(Score);
        Array.Clear(Detector);
        Array.Clear(OverThreshold);
        Array.Clear(ExternalTorque);
        WorstChannel = -1;
        WorstRatio = 0;
        OverCount = 0;
        Diagnosis = default;
        EvidenceChannel = -1;
        EvidenceValue = EvidenceThreshold = 0;
        ChainsDiverging = 0;
        RefinedDiagnosis = default;
        RefinedSinceTick = -1;
        RefinedEvidenceChannel = -1;
        RefinedEvidenceValue = RefinedEvidenceThreshold = 0;
    }
}
