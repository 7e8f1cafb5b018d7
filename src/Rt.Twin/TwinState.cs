using Rt.Core.Divergence;
using Rt.Twin.CrossCheck;

namespace Rt.Twin;

// The digital twin's per-joint, per-IMU and per-channel state, grouped by what each piece is for. All sized at
// construction; the tick only reads and writes them in place (real-time safe).

/// <summary>A channel of the layout and the offset of its first component in the twin's innovation vector.</summary>
internal readonly record struct ChannelSlot(int Channel, int Offset)
{
    public static ChannelSlot Of(ChannelLayout layout, CrossCheckEvaluator crossCheck, ChannelKind kind, int index)
    {
        int channel = layout.IndexOf(kind, index);
        return new ChannelSlot(channel, crossCheck.ComponentOffset(channel));
    }
}

/// <summary>The four channels one joint feeds.</summary>
internal readonly record struct JointChannels(ChannelSlot Position, ChannelSlot Velocity, ChannelSlot Torque, ChannelSlot External)
{
    public static JointChannels[] For(ChannelLayout layout, CrossCheckEvaluator crossCheck)
    {
        var result = new JointChannels[layout.JointCount];
        for (int j = 0; j < result.Length; j++)
            result[j] = new JointChannels(
                ChannelSlot.Of(layout, crossCheck, ChannelKind.JointPosition, j),
                ChannelSlot.Of(layout, crossCheck, ChannelKind.JointVelocity, j),
                ChannelSlot.Of(layout, crossCheck, ChannelKind.JointTorque, j),
                ChannelSlot.Of(layout, crossCheck, ChannelKind.ExternalTorque, j));
        return result;
    }
}

/// <summary>The two channels (3 components each) one IMU feeds.</summary>
internal readonly record struct ImuChannels(ChannelSlot Rate, ChannelSlot Force)
{
    public static ImuChannels[] For(ChannelLayout layout, CrossCheckEvaluator crossCheck)
    {
        var result = new ImuChannels[layout.ImuCount];
        for (int i = 0; i < result.Length; i++)
            result[i] = new ImuChannels(
                ChannelSlot.Of(layout, crossCheck, ChannelKind.ImuAngularRate, i),
                ChannelSlot.Of(layout, crossCheck, ChannelKind.ImuSpecificForce, i));
        return result;
    }
}

/// <summary>One joint's latest finite measurement; a non-finite sample keeps the last good value and is flagged bad.</summary>
internal struct JointMeasurement
{
    public double Q, Qd, Tau;
    public bool BadQ, BadQd, BadTau;
}

/// <summary>Per IMU the latest finite angular rate and specific force (3 values each, contiguous for the IMU model) and whether this tick's sample was bad.</summary>
internal sealed class ImuMeasurements(int imus)
{
    public readonly double[] Rate = new double[3 * imus], Force = new double[3 * imus];
    public readonly bool[] BadRate = new bool[imus], BadForce = new bool[imus];
}

/// <summary>Whether one joint's channels are scored this tick: its drive, its warm-up, its stiction band.</summary>
internal struct JointGate
{
    /// <summary>Ticks left before the joint's channels count.</summary>
    public int Warmup;
    /// <summary>Position/velocity (and torque) channels not scored.</summary>
    public bool Excluded;
    /// <summary>The joint's drive closes the loop this tick.</summary>
    public bool DriveOn;
    /// <summary>External-torque channel not scored (excluded, or in the stiction band).</summary>
    public bool FrictionExcluded;
    /// <summary>In the stiction band this tick.</summary>
    public bool Stuck;
    /// <summary>Stuck and its command settled at a standstill: predicted as held by static friction (stick-slip).</summary>
    public bool Held;
    /// <summary>|q̇| below this is the stiction band, rad/s.</summary>
    public double StictionBand;
    /// <summary>Holding friction the torque dead zone allows, N·m.</summary>
    public double StictionTorque;
}

/// <summary>The twin's joint-state estimate in config order: the prediction for this tick and the corrected state.</summary>
internal sealed class JointEstimate(int joints)
{
    public readonly double[] PredQ = new double[joints], PredQd = new double[joints], PredQdd = new double[joints], PredTau = new double[joints];
    /// <summary>Predicted torque if the joint is held by static friction (zero acceleration, no q̇ friction); = PredTau when not held.</summary>
    public readonly double[] PredTauHeld = new double[joints];
    public readonly double[] Q = new double[joints], Qd = new double[joints]; // corrected
    public readonly double[] Friction = new double[joints];
    /// <summary>The observer's external-torque estimate of the last tick (whitening).</summary>
    public readonly double[] Residual = new double[joints];
    /// <summary>The part of the drives' sawtooth torque end-of-tick samples miss, per joint.</summary>
    public readonly double[] Deficit = new double[joints];
}

/// <summary>Predicted IMU readings, 3 per IMU: with the estimated bias (compared) and of the model alone (bias update).</summary>
internal sealed class ImuPrediction(int imus)
{
    public readonly double[] Rate = new double[3 * imus], Force = new double[3 * imus];
    public readonly double[] ModelRate = new double[3 * imus], ModelForce = new double[3 * imus];
}

/// <summary>Scratch in the rigid-body model's joint order for the dynamics and observer calls.</summary>
internal sealed class ModelScratch(int joints)
{
    public readonly double[] Q = new double[joints], Qd = new double[joints], Qdd = new double[joints], Tau = new double[joints];
    public readonly double[] Momentum = new double[joints], CoriolisT = new double[joints], Gravity = new double[joints];
    public readonly double[] Friction = new double[joints], MeasuredTau = new double[joints], Residual = new double[joints];
    /// <summary>Torque step handed to the observer; also holds the mean-acceleration torques between the two passes.</summary>
    public readonly double[] Jump = new double[joints];
}
