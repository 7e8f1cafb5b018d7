using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// The supervisor's policy, flattened for the tick: per trigger its reaction and discrepancy count, per joint the
/// absolute limits (config limits × the trigger's threshold factor), per IMU its stale count, and every time as ticks.
/// Built once before start (not real-time safe); read-only afterwards, so the tick only indexes arrays.
/// </summary>
internal sealed class SupervisorLimits
{
    public const double RampLagAllowanceS = 0.05;      // measured velocity may trail the ramp by this much time…
    public const double RampVelocityToleranceRadS = 0.05; // …plus this, before "ramp not followed"
    public const double StandstillVelocityRadS = 0.05;
    public const double StopSettleS = 0.05;            // after the ramp ends, time allowed to reach standstill
    public const double ResetTimeoutS = 1.0;           // drives must clear their fault within this after a reset
    public const double EnableTimeoutS = 1.0;          // drives must reach "operation enabled" within this

    public readonly int Joints, Imus, Channels;
    public readonly double Dt;

    /// <summary>Indexed by <see cref="SafetyTrigger"/>.</summary>
    public readonly StopCategory[] Reaction = new StopCategory[SafetyTriggers.Count];
    public readonly int[] Discrepancy = new int[SafetyTriggers.Count];

    /// <summary>Indexed by joint.</summary>
    public readonly double[] PosMin, PosMax, VelMax, TorqueMax, FollowMax, CollisionMax;

    /// <summary>Indexed by joint: limits.torque_nm, the torque the joint's drive may use at most (its 0x6072 outside the hold).</summary>
    public readonly double[] DriveTorque;

    /// <summary>Indexed by joint: the drive closes the joint's brake under power on the host's command (brakes[i].engage_bit).</summary>
    public readonly bool[] BrakeUnderPower;

    /// <summary>Indexed by joint: the drive has no torque actual (torque channel marked off in the layout), so the
    /// torque-limit and collision checks are off for it (a torque that is never measured cannot be judged).</summary>
    public readonly bool[] TorqueOff;

    /// <summary>Indexed by IMU: unchanged sample counters in a row that make the IMU stale.</summary>
    public readonly int[] ImuStaleTicks;

    /// <summary>Indexed by IMU: mounted on the robot's root link (the base), for <see cref="ReactionPolicy"/>.</summary>
    public readonly bool[] ImuOnRoot;

    /// <summary>Indexed by twin channel: what it compares and which joint/IMU (<see cref="ChannelLayout"/>), for <see cref="ReactionPolicy"/>.</summary>
    public readonly ChannelKind[] ChannelKinds;
    public readonly int[] ChannelIndex;

    public readonly double Decel, StandstillWindow, RampTolerance;

    /// <summary>safety.collision_hold_torque_limit: the collision hold's share of each joint's torque limit.</summary>
    public readonly double HoldTorqueFraction;
    public readonly long StopTimeTicks, SettleTicks, ResetTimeoutTicks, EnableTimeoutTicks;

    public SupervisorLimits(RtConfig config, SafetyPolicy policy, int jointCount, ChannelLayout layout, long periodNs)
    {
        Joints = jointCount;
        Imus = layout.ImuCount;
        Channels = layout.Count;
        Dt = periodNs * 1e-9;
        for (int t = 0; t < SafetyTriggers.Count; t++)
        {
            Reaction[t] = policy.Triggers[t].Reaction;
            Discrepancy[t] = Math.Max(1, policy.Triggers[t].DiscrepancyTicks);
        }

        double Thr(SafetyTrigger t, double dflt) => policy[t].Threshold > 0 ? policy[t].Threshold : dflt;
        double posMargin = Thr(SafetyTrigger.PositionLimit, 0);
        double velFactor = Thr(SafetyTrigger.VelocityLimit, 1.1);
        double torqueFactor = Thr(SafetyTrigger.TorqueLimit, 1.1);
        double followFactor = Thr(SafetyTrigger.FollowingError, 1.0);
        PosMin = new double[Joints]; PosMax = new double[Joints]; VelMax = new double[Joints];
        TorqueMax = new double[Joints]; FollowMax = new double[Joints]; CollisionMax = new double[Joints];
        DriveTorque = new double[Joints];
        BrakeUnderPower = new bool[Joints];
        for (int j = 0; j < Joints; j++)
        {
            var lim = config.Joints[j].Limits;
            PosMin[j] = lim.PositionMinRad - posMargin;
            PosMax[j] = lim.PositionMaxRad + posMargin;
            VelMax[j] = lim.VelocityRadS * velFactor;
            TorqueMax[j] = lim.TorqueNm * torqueFactor;
            DriveTorque[j] = lim.TorqueNm;
            var brake = config.Brakes.Find(b => b.Joint == config.Joints[j].Name);
            BrakeUnderPower[j] = brake is { EngageByDrive: true };
            FollowMax[j] = lim.FollowingErrorRad * followFactor;
            CollisionMax[j] = Thr(SafetyTrigger.Collision, 0.3 * lim.TorqueNm);
        }
        TorqueOff = new bool[Joints];
        for (int j = 0; j < Joints && j < layout.JointCount; j++)
            TorqueOff[j] = layout.IsOff(layout.IndexOf(Rt.Core.Divergence.ChannelKind.JointTorque, j));

        ImuStaleTicks = new int[Imus];
        double loopHz = 1.0 / Dt;
        for (int i = 0; i < Imus; i++)
        {
            double imuHz = i < config.Imus.Count && config.Imus[i].RateHz > 0 ? config.Imus[i].RateHz : loopHz;
            ImuStaleTicks[i] = policy[SafetyTrigger.ImuFault].Threshold > 0
                ? (int)Math.Ceiling(policy[SafetyTrigger.ImuFault].Threshold)
                : Math.Max(2, (int)Math.Ceiling(3 * loopHz / imuHz));
        }

        ImuOnRoot = new bool[Imus];
        string? root = config.Description?.RootLink;
        for (int i = 0; i < Imus && i < config.Imus.Count; i++) ImuOnRoot[i] = root is not null && config.Imus[i].Link == root;
        ChannelKinds = new ChannelKind[Channels];
        ChannelIndex = new int[Channels];
        for (int c = 0; c < Channels; c++)
        {
            ChannelKinds[c] = layout.Channels[c].Kind;
            ChannelIndex[c] = layout.Channels[c].Index;
        }

        Decel = policy.StopDecelerationRadS2;
        HoldTorqueFraction = config.Safety.CollisionHoldTorqueLimit;
        StandstillWindow = policy.StandstillWindowRad;
        RampTolerance = Decel * RampLagAllowanceS + RampVelocityToleranceRadS;
        StopTimeTicks = Ticks(policy.StopTimeS);
        SettleTicks = Ticks(StopSettleS);
        ResetTimeoutTicks = Ticks(ResetTimeoutS);
        EnableTimeoutTicks = Ticks(EnableTimeoutS);
    }

    /// <summary>Counters per trigger: one per twin channel, joint or IMU, or one for the bus/loop-wide triggers.</summary>
    public int Width(SafetyTrigger t) => Width(t, Channels, Joints, Imus);

    public static int Width(SafetyTrigger t, int channels, int joints, int imus) => t switch
    {
        SafetyTrigger.TwinDivergence => Math.Max(1, channels),
        SafetyTrigger.Collision or SafetyTrigger.PositionLimit or SafetyTrigger.VelocityLimit or SafetyTrigger.TorqueLimit
            or SafetyTrigger.FollowingError or SafetyTrigger.DriveFault => Math.Max(1, joints),
        SafetyTrigger.ImuFault => Math.Max(1, imus),
        _ => 1,
    };

    public long Ticks(double seconds) => Math.Max(1, (long)Math.Ceiling(seconds / Dt - 1e-9));
}
