using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Twin.Recording;

/// <summary>Per-joint fields of a tick record, in slot order.</summary>
public enum JointField
{
    Statusword,
    PositionCounts,
    VelocityCounts,
    TorquePermille,
    Controlword,
    TargetCounts,
    Position,
    Velocity,
    Torque,
    TargetPosition,
    TargetVelocity,
    FeedforwardTorque,
}

/// <summary>Per-IMU fields of a tick record, in slot order (IMU frame, SI).</summary>
public enum ImuField
{
    SpecificForceX,
    SpecificForceY,
    SpecificForceZ,
    AngularRateX,
    AngularRateY,
    AngularRateZ,
    SampleCounter,
    Status,
}

/// <summary>Per-channel divergence fields of a tick record.</summary>
public enum ChannelField
{
    Innovation,
    Score,
    Detector,
    OverThreshold,
}

/// <summary>
/// The fixed layout of one tick record: a row of doubles (integers from the process image are exact in a double).
/// [time_ns, period_ns, flags], then per joint <see cref="JointField"/>, per IMU <see cref="ImuField"/>, per channel
/// <see cref="ChannelField"/>, the external torque per joint, and [worst_channel, worst_ratio, over_count].
/// Built once from the channel layout; <see cref="Fill"/> is real-time safe.
/// </summary>
public sealed class RecordLayout
{
    public const int JointStride = 12;
    public const int ImuStride = 8;
    public const int ChannelStride = 4;
    public const int TimeOffset = 0;
    public const int PeriodOffset = 1;
    public const int FlagsOffset = 2;
    private const int HeaderFields = 3;

    /// <summary>Flag bits in the flags field; the safety state sits in bits 8..15, the power request in 16..23.</summary>
    public const int FlagDivergenceValid = 1, FlagAllDrivesOperational = 2, FlagMotionRequested = 4, FlagTargetsOverridden = 8, FlagInputsStale = 16;

    public RecordLayout(ChannelLayout channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        Channels = channels;
        JointCount = channels.JointCount;
        ImuCount = channels.ImuCount;
        ImuBase = HeaderFields + JointStride * JointCount;
        ChannelBase = ImuBase + ImuStride * ImuCount;
        ExternalTorqueBase = ChannelBase + ChannelStride * channels.Count;
        SummaryBase = ExternalTorqueBase + JointCount;
        Width = SummaryBase + 3;
    }

    public ChannelLayout Channels { get; }
    public int JointCount { get; }
    public int ImuCount { get; }
    public int ImuBase { get; }
    public int ChannelBase { get; }
    public int ExternalTorqueBase { get; }
    public int SummaryBase { get; }

    /// <summary>Doubles per record.</summary>
    public int Width { get; }

    public int Joint(int joint, JointField field) => HeaderFields + JointStride * joint + (int)field;

    public int Imu(int imu, ImuField field) => ImuBase + ImuStride * imu + (int)field;

    public int Channel(int channel, ChannelField field) => ChannelBase + ChannelStride * channel + (int)field;

    public int ExternalTorque(int joint) => ExternalTorqueBase + joint;

    public int WorstChannelOffset => SummaryBase;
    public int WorstRatioOffset => SummaryBase + 1;
    public int OverCountOffset => SummaryBase + 2;

    /// <summary>Real-time safe, allocation-free: copies the tick's inputs, outputs and twin verdict into <paramref name="slot"/>.</summary>
    public void Fill(TickState state, Span<double> slot)
    {
        ArgumentNullException.ThrowIfNull(state);
        slot[TimeOffset] = state.TimeNs;
        slot[PeriodOffset] = state.PeriodNs;
        var d = state.Divergence;
        int flags = (d.Valid ? FlagDivergenceValid : 0) | (state.AllDrivesOperational ? FlagAllDrivesOperational : 0)
            | (state.MotionRequested ? FlagMotionRequested : 0) | (state.TargetsOverridden ? FlagTargetsOverridden : 0)
            | (state.InputsFresh ? 0 : FlagInputsStale)
            | ((int)state.SafetyState << 8) | ((int)state.PowerRequest << 16);
        slot[FlagsOffset] = flags;
        var inputs = state.Image.Inputs;
        var outputs = state.Image.Outputs;
        int joints = Math.Min(JointCount, state.JointCount);
        for (int j = 0; j < joints; j++)
        {
            var s = slot.Slice(HeaderFields + JointStride * j, JointStride);
            s[(int)JointField.Statusword] = inputs[j].Statusword;
            s[(int)JointField.PositionCounts] = inputs[j].PositionActual;
            s[(int)JointField.VelocityCounts] = inputs[j].VelocityActual;
            s[(int)JointField.TorquePermille] = inputs[j].TorqueActual;
            s[(int)JointField.Controlword] = outputs[j].Controlword;
            s[(int)JointField.TargetCounts] = outputs[j].TargetPosition;
            s[(int)JointField.Position] = state.Position[j];
            s[(int)JointField.Velocity] = state.Velocity[j];
            s[(int)JointField.Torque] = state.Torque[j];
            s[(int)JointField.TargetPosition] = state.TargetPosition[j];
            s[(int)JointField.TargetVelocity] = state.TargetVelocity[j];
            s[(int)JointField.FeedforwardTorque] = state.FeedforwardTorque[j];
        }
        var imus = state.Image.Imus;
        int imuCount = Math.Min(ImuCount, state.ImuCount);
        for (int i = 0; i < imuCount; i++)
        {
            var s = slot.Slice(ImuBase + ImuStride * i, ImuStride);
            s[0] = imus[i].SpecificForceX;
            s[1] = imus[i].SpecificForceY;
            s[2] = imus[i].SpecificForceZ;
            s[3] = imus[i].AngularRateX;
            s[4] = imus[i].AngularRateY;
            s[5] = imus[i].AngularRateZ;
            s[6] = imus[i].SampleCounter;
            s[7] = imus[i].Status;
        }
        int n = Math.Min(Channels.Count, d.Innovation.Length);
        for (int c = 0; c < n; c++)
        {
            var s = slot.Slice(ChannelBase + ChannelStride * c, ChannelStride);
            s[0] = d.Innovation[c];
            s[1] = d.Score[c];
            s[2] = d.Detector[c];
            s[3] = d.OverThreshold[c] ? 1 : 0;
        }
        for (int j = 0; j < JointCount && j < d.ExternalTorque.Length; j++) slot[ExternalTorqueBase + j] = d.ExternalTorque[j];
        slot[SummaryBase] = d.WorstChannel;
        slot[SummaryBase + 1] = d.WorstRatio;
        slot[SummaryBase + 2] = d.OverCount;
    }
}
