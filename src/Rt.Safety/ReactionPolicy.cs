using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// Reaction by class (issue 13): in the tick a trip is confirmed, decides whether it is a collision/contact, which gets
/// the compliant hold (<see cref="StopRamp"/>: the joints are held where they are instead of being ramped on into the
/// obstacle, then a monitored standstill with power, SS2-like), or a sensor, actuator, bus or limit fault, which keeps
/// its configured stop category. Real-time safe (reads preallocated arrays only).
/// <para>
/// The twin's isolator (<see cref="DivergenceRecord.Diagnosis"/>) naming a collision decides it, unless an encoder or IMU
/// is implausible (below); otherwise the class is read from the evidence the supervisor sees in the trip tick, per channel the twin's detector/threshold ratio and per joint |τ_ext| / the collision
/// threshold:
/// a <c>collision</c> trip is a collision; a <c>twin_divergence</c> trip is one too unless the evidence singles out
/// a sensor: an encoder channel (joint position/velocity) at ≥ <see cref="EncoderImplausibleRatio"/>
/// (an encoder jump or freeze; a contact moves the joint at most a few thresholds within a tick), an IMU on the root
/// link that disagrees most (on the stand nothing moves the base; a contact on a limb shows on the limb first), or any
/// IMU at ≥ <see cref="ImuImplausibleRatio"/> (saturation). What is left is contact evidence — external torque, the
/// limb's own joints and IMU — or evidence that cannot tell a contact from an actuator fault: a joint torque channel
/// disagreeing most is what a torque loss shows AND what a stalled or pushed link shows (its drive fights the position
/// error with more effort than the model predicts, either way), so it gets the hold too: holding on the joints' own
/// encoders is safe for both, and a joint that has lost its torque cannot keep the hold, whose travel monitor then
/// ends it in STO with the brakes. Actuator faults the drives themselves report (drive_fault, torque_limit,
/// following_error) keep their configured category, as does every other trigger.
/// </para>
/// </summary>
internal static class ReactionPolicy
{
    /// <summary>Encoder-channel ratio above which the evidence is an encoder fault, not motion (see the class remarks).</summary>
    public const double EncoderImplausibleRatio = 10;

    /// <summary>IMU-channel ratio above which the evidence is a faulty IMU (saturation), not motion.</summary>
    public const double ImuImplausibleRatio = 100;

    /// <summary>Whether <paramref name="trip"/> is a collision/contact, from its trigger and the trip tick's evidence.</summary>
    public static bool IsCollision(in Trip trip, DivergenceRecord d, SupervisorLimits l)
    {
        if (trip.Cause.Code == FaultCode.Collision) return true;
        if (trip.Cause.Code != FaultCode.TwinDivergence || !d.Valid) return false;

        double encoder = 0, torque = 0, baseImu = 0, contact = 0;
        bool imuImplausible = false;
        int n = Math.Min(l.ChannelKinds.Length, Math.Min(d.Detector.Length, d.Threshold.Length));
        for (int c = 0; c < n; c++)
        {
            double thr = d.Threshold[c];
            double r = thr > 0 ? Math.Abs(d.Detector[c]) / thr : 0;
            if (!(r < double.MaxValue)) r = double.MaxValue; // NaN or infinite evidence: as strong as it gets
            switch (l.ChannelKinds[c])
            {
                case ChannelKind.JointPosition or ChannelKind.JointVelocity:
                    encoder = Math.Max(encoder, r);
                    break;
                case ChannelKind.JointTorque:
                    torque = Math.Max(torque, r);
                    break;
                case ChannelKind.ExternalTorque:
                    contact = Math.Max(contact, r);
                    break;
                default: // IMU channels
                    if (r >= ImuImplausibleRatio) imuImplausible = true;
                    int imu = l.ChannelIndex[c];
                    if (imu >= 0 && imu < l.ImuOnRoot.Length && l.ImuOnRoot[imu]) baseImu = Math.Max(baseImu, r);
                    else contact = Math.Max(contact, r);
                    break;
            }
        }
        int joints = Math.Min(l.Joints, d.ExternalTorque.Length);
        for (int j = 0; j < joints; j++)
        {
            double r = Math.Abs(d.ExternalTorque[j]) / l.CollisionMax[j];
            contact = Math.Max(contact, r < double.MaxValue ? r : double.MaxValue);
        }

        // A saturated IMU or an encoder that jumped is a sensor fault, unless the isolator fitted a contact while two
        // limbs diverge at once: one sensor cannot move two chains, an impact can. An obstacle struck between the
        // thighs shakes both ankles' encoders to 10–80× their thresholds and a foot's accelerometer to 140× in its first
        // ticks, and a ramp then fights the obstacle until its monitor cuts the power (docs/SAFETY.md, "One sensor or
        // the whole robot").
        bool impact = d.Diagnosis.Class == FaultClass.Collision && d.ChainsDiverging >= 2;
        if (imuImplausible && !impact) return false;
        if (encoder >= EncoderImplausibleRatio && !impact) return false;
        // The twin's stuck-encoder check named a frozen encoder (its flicker stopped; no contact or actuator does that).
        // A hold would servo on the frozen count and its standstill monitor would read that count: the configured stop.
        if (d.Diagnosis.Class == FaultClass.Sensor && d.Diagnosis.Test == DetectionTest.StuckEncoder) return false;
        // The twin's isolator fitted the residual with a contact on a link: hold (it never overrides an implausible sensor).
        if (d.Diagnosis.Class == FaultClass.Collision) return true;
        // A joint torque channel leading is NOT evidence of the actuator: a stalled or pushed link makes its drives
        // fight the position error exactly as a lost torque does (the drive reports the effort it commands either way),
        // and the residual's sign follows the motion and gravity, not the cause (docs/SAFETY.md, "Reaction by class").
        // The hold is safe for both: a joint whose torque is gone cannot keep it, and the hold's travel monitor then
        // ends it in STO with the brakes; a ramp would push a contact on.
        if (baseImu > Math.Max(Math.Max(encoder, contact), torque)) return false; // sensor: the root link's IMU
        return true;
    }
}
