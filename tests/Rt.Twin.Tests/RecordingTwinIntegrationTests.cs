using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Twin.Calibration;
using Rt.Twin.Parameters;
using Rt.Twin.Recording;
using Rt.Twin.Validation;
using Xunit.Abstractions;

namespace Rt.Twin.Tests;

/// <summary>
/// The whole loop of this area: calibrate from a recording, run the twin (with its cross-check) over a held-out run
/// with and without the calibrated parameters, record its verdicts through <see cref="TickRecorder"/>, and validate the
/// recorded innovations.
/// </summary>
public sealed class RecordingTwinIntegrationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-recording-twin-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ValidationReport ReplayThroughTwin(CalibrationSyntheticRun run, TickRecording input, DigitalTwinOptions options, string outPath)
    {
        var layout = new ChannelLayout(CalibrationSyntheticRun.ConfigOrder, ["pelvis_imu"]);
        var twin = new DigitalTwin(run.Config, layout, options);
        var state = new TickState(3, 1, layout);
        using (var recorder = new TickRecorder(outPath, run.Description.Name, layout, input.PeriodNs, capacity: 1 << 14))
        {
            var l = input.Layout;
            // Before the first tick the drives hold the run's first command (what a replay assumes for record 0).
            for (int j = 0; j < 3; j++) state.TargetPosition[j] = input.Get(0, l.Joint(j, JointField.TargetPosition));
            for (int t = 0; t < input.Count; t++)
            {
                state.Faults.Clear();
                state.Tick = t;
                state.TimeNs = t * input.PeriodNs;
                state.PeriodNs = input.PeriodNs;
                state.AllDrivesOperational = true;
                for (int j = 0; j < 3; j++)
                {
                    state.DriveOperational[j] = true;
                    state.Image.Inputs[j].Statusword = 0x0237; // CiA 402 "operation enabled", recorded for a replay
                    state.Position[j] = input.Get(t, l.Joint(j, JointField.Position));
                    state.Velocity[j] = input.Get(t, l.Joint(j, JointField.Velocity));
                    state.Torque[j] = input.Get(t, l.Joint(j, JointField.Torque));
                }
                // The pelvis is the fixed base: its IMU reads +g and no rotation.
                state.Image.Imus[0].SpecificForceZ = 9.81f;
                state.Image.Imus[0].SampleCounter = (ushort)t;
                twin.Step(state);
                // The controller runs after the twin: the command of tick t is what the recording holds at t.
                for (int j = 0; j < 3; j++) state.TargetPosition[j] = input.Get(t, l.Joint(j, JointField.TargetPosition));
                recorder.Enqueue(state);
            }
            recorder.Dispose();
            Assert.Equal(0, recorder.Dropped);
        }
        var report = TwinValidator.Run(TickRecording.Open(outPath));
        output.WriteLine(report.ToTable());
        return report;
    }

    [Fact]
    public void Calibrated_parameters_shrink_the_running_twins_recorded_innovations()
    {
        var run = new CalibrationSyntheticRun();
        string train = Path.Combine(_dir, "train.rttick"), heldOut = Path.Combine(_dir, "held-out.rttick"), file = Path.Combine(_dir, "p.yaml");
        // The drives report the tick-mean torque (what the twin predicts); command steps of up to 5 mrad excite the loops.
        run.Write(train, seconds: 10, seed: 301, stepRad: 0.005, torque: SyntheticTorque.TickMean);
        run.Write(heldOut, seconds: 4, seed: 302, stepRad: 0.005, torque: SyntheticTorque.TickMean);
        Calibrator.CalibrateFile(train, run.Config, file);
        var parameters = TwinParameterFile.Load(file, run.Config, run.Description);
        var layout = new ChannelLayout(CalibrationSyntheticRun.ConfigOrder, ["pelvis_imu"]);
        var input = TickRecording.Open(heldOut);

        var nominal = ReplayThroughTwin(run, input, new DigitalTwinOptions(), Path.Combine(_dir, "nominal.rttick"));
        var calibrated = ReplayThroughTwin(run, input, TwinParameterOptions.Apply(parameters, layout), Path.Combine(_dir, "calibrated.rttick"));
        foreach (var name in CalibrationSyntheticRun.ConfigOrder)
        {
            var n = nominal.Channels.Single(c => c.Channel == $"{name}.position");
            var c = calibrated.Channels.Single(c => c.Channel == $"{name}.position");
            Assert.Equal("recorded", c.Source);
            Assert.True(c.Samples > input.Count - 20, $"{name}: {c.Samples} valid ticks after the warm-up");
            // The calibrated servo model predicts to the measurement noise (1e-6 rad per sample, ≈ 1.5e-6 in the
            // innovation); the nominal one (15 Hz, ζ = 1, one tick) cannot: with 5 mrad steps 3× (knee, closest to
            // nominal) to 5× worse (the gap grows with the step size).
            Assert.True(c.Rms < 3e-6, $"{name}: calibrated position innovation RMS {c.Rms}");
            Assert.True(c.Rms < n.Rms / 2.5, $"{name}: calibrated {c.Rms} vs nominal {n.Rms}");
        }

        // With the calibrated noise model the running twin stays in control over the held-out run: no channel alarmed.
        var recorded = TickRecording.Open(Path.Combine(_dir, "calibrated.rttick"));
        double worst = 0;
        for (int t = 0; t < recorded.Count; t++)
        {
            Assert.Equal(0, recorded.Get(t, recorded.Layout.OverCountOffset));
            worst = Math.Max(worst, recorded.Get(t, recorded.Layout.WorstRatioOffset));
        }
        output.WriteLine($"calibrated twin, held-out run: worst detector ratio {worst:F3}");
    }

    [Fact]
    public void Twin_replay_of_a_recording_reproduces_the_running_twins_verdicts_exactly()
    {
        // Calibrated parameters, so that the replay exercises whitening (ρ ≠ 0), biases and the fitted servo loops.
        var run = new CalibrationSyntheticRun();
        string train = Path.Combine(_dir, "train.rttick"), input = Path.Combine(_dir, "input.rttick"), file = Path.Combine(_dir, "p.yaml");
        run.Write(train, seconds: 5, seed: 401, stepRad: 0.005, torque: SyntheticTorque.TickMean);
        run.Write(input, seconds: 2, seed: 402, stepRad: 0.005, torque: SyntheticTorque.TickMean);
        Calibrator.CalibrateFile(train, run.Config, file);
        var parameters = TwinParameterFile.Load(file, run.Config, run.Description);
        Assert.Contains(parameters.Joints, j => j.Noise.PositionAr1 != 0);
        var layout = new ChannelLayout(CalibrationSyntheticRun.ConfigOrder, ["pelvis_imu"]);
        var options = TwinParameterOptions.Apply(parameters, layout, new DigitalTwinOptions { Description = run.Description });
        string outPath = Path.Combine(_dir, "running.rttick");
        ReplayThroughTwin(run, TickRecording.Open(input), options, outPath);

        var recorded = TickRecording.Open(outPath);
        var l = recorded.Layout;
        int compared = 0;
        TwinReplay.Run(recorded, run.Config, options, (t, twin, state) =>
        {
            var d = state.Divergence;
            bool valid = ((int)recorded.Get(t, RecordLayout.FlagsOffset) & RecordLayout.FlagDivergenceValid) != 0;
            Assert.Equal(valid, d.Valid);
            if (!valid) return;
            for (int c = 0; c < layout.Count; c++)
            {
                Assert.Equal(recorded.Get(t, l.Channel(c, ChannelField.Innovation)), d.Innovation[c]);
                Assert.Equal(recorded.Get(t, l.Channel(c, ChannelField.Score)), d.Score[c]);
                Assert.Equal(recorded.Get(t, l.Channel(c, ChannelField.Detector)), d.Detector[c]);
            }
            for (int j = 0; j < 3; j++) Assert.Equal(recorded.Get(t, l.ExternalTorqueBase + j), d.ExternalTorque[j]);
            compared++;
        });
        Assert.True(compared > recorded.Count - 5, $"{compared} valid ticks compared of {recorded.Count}");
    }
}
