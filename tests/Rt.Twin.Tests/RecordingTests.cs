using Rt.Core.Divergence;
using Rt.Core.Errors;
using Rt.Core.Tick;
using Rt.Twin.Recording;

namespace Rt.Twin.Tests;

public sealed class RecordingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-recording-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ChannelLayout Layout() => new(["l_hip_pitch", "l_knee", "l_ankle"], ["pelvis_imu"]);

    private static void Populate(TickState s, long tick)
    {
        s.Tick = tick;
        s.TimeNs = tick * 1_000_000;
        s.PeriodNs = 1_000_000;
        for (int j = 0; j < s.JointCount; j++)
        {
            s.Image.Inputs[j].Statusword = 0x1237;
            s.Image.Inputs[j].PositionActual = (int)(tick * 10 + j);
            s.Image.Inputs[j].TorqueActual = (short)-j;
            s.Image.Outputs[j].TargetPosition = (int)(tick * 10 + j + 1);
            s.Position[j] = 0.001 * tick + j;
            s.Velocity[j] = -0.5 * j;
            s.Torque[j] = 1.25 * j;
            s.TargetPosition[j] = 0.001 * tick + j + 0.01;
        }
        s.Image.Imus[0].SpecificForceZ = 9.81f;
        s.Image.Imus[0].AngularRateX = 0.125f;
        s.Image.Imus[0].SampleCounter = (ushort)tick;
        s.Divergence.Valid = true;
        for (int c = 0; c < s.Divergence.Innovation.Length; c++)
        {
            s.Divergence.Innovation[c] = c * 1e-3 + tick;
            s.Divergence.Score[c] = c;
            s.Divergence.OverThreshold[c] = c == 5;
        }
        s.Divergence.ExternalTorque[1] = 2.5;
        s.Divergence.WorstChannel = 5;
        s.Divergence.OverCount = 1;
        s.SafetyState = SafetyState.Operational;
    }

    [Fact]
    public void Recorder_round_trips_every_tick_through_the_file()
    {
        var layout = Layout();
        string path = Path.Combine(_dir, "run.rttick");
        var state = new TickState(3, 1, layout);
        const int ticks = 20_000;
        using (var recorder = new TickRecorder(path, "biped_test", layout, 1_000_000, capacity: 1 << 15))
        {
            for (long t = 0; t < ticks; t++)
            {
                Populate(state, t);
                recorder.Enqueue(state);
            }
            recorder.Dispose();
            Assert.Equal(0, recorder.Dropped);
            Assert.Equal(ticks, recorder.Written);
            Assert.Null(recorder.Error);
        }
        var rec = TickRecording.Open(path);
        Assert.Equal(ticks, rec.Count);
        Assert.Equal("biped_test", rec.Robot);
        Assert.Equal(1_000_000, rec.PeriodNs);
        Assert.Equal(["l_hip_pitch", "l_knee", "l_ankle"], rec.JointNames);
        Assert.Equal(["pelvis_imu"], rec.ImuNames);
        var l = rec.Layout;
        for (int t = 0; t < ticks; t += 997)
        {
            Assert.Equal(t, rec.Tick(t));
            Assert.Equal(t * 1e6, rec.Get(t, RecordLayout.TimeOffset));
            Assert.Equal(t * 10 + 2, rec.Get(t, l.Joint(2, JointField.PositionCounts)));
            Assert.Equal(t * 10 + 3, rec.Get(t, l.Joint(2, JointField.TargetCounts)));
            Assert.Equal(0x1237, rec.Get(t, l.Joint(0, JointField.Statusword)));
            Assert.Equal(0.001 * t + 1, rec.Get(t, l.Joint(1, JointField.Position)));
            Assert.Equal(2.5, rec.Get(t, l.Joint(2, JointField.Torque)));
            Assert.Equal(-2, rec.Get(t, l.Joint(2, JointField.TorquePermille)));
            Assert.Equal(9.81f, (float)rec.Get(t, l.Imu(0, ImuField.SpecificForceZ)));
            Assert.Equal(0.125, rec.Get(t, l.Imu(0, ImuField.AngularRateX)));
            Assert.Equal(7e-3 + t, rec.Get(t, l.Channel(7, ChannelField.Innovation)));
            Assert.Equal(1, rec.Get(t, l.Channel(5, ChannelField.OverThreshold)));
            Assert.Equal(2.5, rec.Get(t, l.ExternalTorque(1)));
            Assert.Equal(5, rec.Get(t, l.WorstChannelOffset));
            int flags = (int)rec.Get(t, RecordLayout.FlagsOffset);
            Assert.Equal(RecordLayout.FlagDivergenceValid, flags & RecordLayout.FlagDivergenceValid);
            Assert.Equal((int)SafetyState.Operational, (flags >> 8) & 0xFF);
        }
        Assert.Equal(ticks, rec.JointSeries(0, JointField.Position).Length);
    }

    [Fact]
    public void Enqueue_allocates_nothing_and_counts_drops_when_the_writer_falls_behind()
    {
        var layout = new ChannelLayout(Enumerable.Range(0, 12).Select(i => $"j{i}").ToArray(), ["a", "b", "c"]);
        var state = new TickState(12, 3, layout);
        using var recorder = new TickRecorder(Path.Combine(_dir, "alloc.rttick"), "biped12", layout, 1_000_000, capacity: 64);
        for (int i = 0; i < 1000; i++) recorder.Enqueue(state);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200_000; i++)
        {
            state.Tick = i;
            recorder.Enqueue(state);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        // 200 k ticks into 64 slots as fast as the CPU allows: the writer cannot keep up, and the drops are counted.
        recorder.Dispose();
        Assert.Equal(201_000, recorder.Written + recorder.Dropped);
        Assert.Equal(recorder.Written, TickRecording.Open(recorder.Path).Count);
    }

    private string WriteSample(int records)
    {
        var layout = new RecordLayout(Layout());
        string path = Path.Combine(_dir, $"sample{records}.rttick");
        using var w = new TickRecordingWriter(path, "biped_test", layout, 1_000_000);
        var row = new double[layout.Width];
        for (int i = 0; i < records; i++)
        {
            row[0] = i;
            w.Append(i, row);
        }
        return path;
    }

    [Fact]
    public void A_truncated_recording_names_the_offset_of_the_cut_record()
    {
        string path = WriteSample(10);
        var bytes = File.ReadAllBytes(path);
        int recordBytes = TickRecordingFormat.RecordBytes(new RecordLayout(Layout()).Width);
        int header = bytes.Length - 10 * recordBytes;
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<InputError>(() => TickRecording.Open(path));
        Assert.Equal($"offset {header + 9 * recordBytes}", e.Location);
        Assert.Contains("truncated record 9", e.Problem, StringComparison.Ordinal);

        File.WriteAllBytes(path, bytes[..(header - 5)]);
        e = Assert.Throws<InputError>(() => TickRecording.Open(path));
        Assert.Contains("truncated header", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_magic_and_unknown_version_are_refused()
    {
        string path = WriteSample(2);
        var bytes = File.ReadAllBytes(path);
        var bad = (byte[])bytes.Clone();
        bad[0] = (byte)'X';
        File.WriteAllBytes(path, bad);
        var e = Assert.Throws<InputError>(() => TickRecording.Open(path));
        Assert.Equal("offset 0", e.Location);
        Assert.Contains("not an rt tick recording", e.Problem, StringComparison.Ordinal);

        bad = (byte[])bytes.Clone();
        bad[8] = 99;
        File.WriteAllBytes(path, bad);
        e = Assert.Throws<InputError>(() => TickRecording.Open(path));
        Assert.Equal("offset 8", e.Location);
        Assert.Contains("version 99", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_recording_is_valid_and_has_no_records()
    {
        Assert.Equal(0, TickRecording.Open(WriteSample(0)).Count);
    }
}
