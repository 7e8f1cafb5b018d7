using Rt.Core.Config;
using Rt.Core.Tick;
using Rt.Twin.Recording;

namespace Rt.Twin.Calibration;

/// <summary>
/// Runs a <see cref="DigitalTwin"/> over a tick recording exactly as it ran beside the robot: each record is turned
/// back into the tick's blackboard (measurements, drive states, IMU samples, and the command the controller wrote in
/// the previous tick, which is what the twin sees at its place in the pipeline), and the twin steps once per record.
/// Calibration uses it to measure the innovations of the twin it is about to write (noise model, servo model
/// selection), so the noise model describes the detector's actual input, not an offline approximation of it.
/// A gap in the tick numbers (the recorder dropped ticks) resets the twin, as a restart would. Not real-time safe.
/// </summary>
public static class TwinReplay
{
    /// <summary>
    /// Replays <paramref name="recording"/> through a twin built from <paramref name="config"/> and
    /// <paramref name="options"/>; after every step calls <paramref name="afterStep"/> with the record index, the twin
    /// (its <see cref="DigitalTwin.Components"/>, cross-check exclusions…) and the tick state (divergence record).
    /// </summary>
    public static void Run(TickRecording recording, RtConfig config, DigitalTwinOptions options, Action<int, DigitalTwin, TickState> afterStep)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(afterStep);
        bool enabled = config.Twin.Enabled;
        config.Twin.Enabled = true; // a calibration replays the twin even when the recording ran without it
        DigitalTwin twin;
        try
        {
            twin = new DigitalTwin(config, recording.Channels, options);
        }
        finally
        {
            config.Twin.Enabled = enabled;
        }
        var layout = recording.Layout;
        int n = layout.JointCount, nImu = layout.ImuCount;
        var state = new TickState(n, nImu, recording.Channels) { PeriodNs = recording.PeriodNs };
        long previousTick = long.MinValue;
        for (int t = 0; t < recording.Count; t++)
        {
            long tick = recording.Tick(t);
            if (previousTick != long.MinValue && tick != previousTick + 1) twin.Reset();
            previousTick = tick;
            state.Tick = tick;
            state.TimeNs = (long)recording.Get(t, RecordLayout.TimeOffset);
            state.Faults.Clear();
            state.InputsFresh = ((int)recording.Get(t, RecordLayout.FlagsOffset) & RecordLayout.FlagInputsStale) == 0;
            bool all = true;
            int commandRecord = t > 0 ? t - 1 : t;
            for (int j = 0; j < n; j++)
            {
                state.Position[j] = recording.Get(t, layout.Joint(j, JointField.Position));
                state.Velocity[j] = recording.Get(t, layout.Joint(j, JointField.Velocity));
                state.Torque[j] = recording.Get(t, layout.Joint(j, JointField.Torque));
                state.TargetPosition[j] = recording.Get(commandRecord, layout.Joint(j, JointField.TargetPosition));
                state.TargetVelocity[j] = recording.Get(commandRecord, layout.Joint(j, JointField.TargetVelocity));
                int statusword = (int)recording.Get(t, layout.Joint(j, JointField.Statusword));
                // CiA 402 "operation enabled": xxxx xxxx x01x 0111 (bits 0-3, 5, 6).
                bool operational = (statusword & 0x6F) == 0x27;
                state.DriveOperational[j] = operational;
                all &= operational;
            }
            state.AllDrivesOperational = all;
            var imus = state.Image.Imus;
            for (int i = 0; i < nImu; i++)
            {
                ref var s = ref imus[i];
                s.SpecificForceX = (float)recording.Get(t, layout.Imu(i, ImuField.SpecificForceX));
                s.SpecificForceY = (float)recording.Get(t, layout.Imu(i, ImuField.SpecificForceY));
                s.SpecificForceZ = (float)recording.Get(t, layout.Imu(i, ImuField.SpecificForceZ));
                s.AngularRateX = (float)recording.Get(t, layout.Imu(i, ImuField.AngularRateX));
                s.AngularRateY = (float)recording.Get(t, layout.Imu(i, ImuField.AngularRateY));
                s.AngularRateZ = (float)recording.Get(t, layout.Imu(i, ImuField.AngularRateZ));
                s.SampleCounter = (ushort)recording.Get(t, layout.Imu(i, ImuField.SampleCounter));
            }
            twin.Step(state);
            afterStep(t, twin, state);
        }
    }
}
