using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Safety;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

internal static class Fixtures
{
    public static readonly string[] Joints =
    [
        "l_hip_yaw", "l_hip_roll", "l_hip_pitch", "l_knee", "l_ankle_pitch", "l_ankle_roll",
        "r_hip_yaw", "r_hip_roll", "r_hip_pitch", "r_knee", "r_ankle_pitch", "r_ankle_roll",
    ];

    public static ChannelLayout Layout() => new(Joints, ["pelvis_imu"]);

    public static TickState State(ChannelLayout layout) => new(layout.JointCount, layout.ImuCount, layout);

    /// <summary>Deterministic, tick-dependent divergence values so a decoded record can be matched to its tick.</summary>
    public static void Fill(TickState s, long tick)
    {
        s.Tick = tick;
        s.TimeNs = 1_000_000_000_000L + tick * 1_000_000;
        s.SafetyState = SafetyState.Operational;
        DivergenceRecord d = s.Divergence;
        d.Valid = true;
        d.Tick = tick;
        d.TimeNs = s.TimeNs;
        for (int c = 0; c < d.Score.Length; c++)
        {
            d.Innovation[c] = Value(tick, c, 1);
            d.Score[c] = Value(tick, c, 2);
            d.Detector[c] = Value(tick, c, 3);
            d.Threshold[c] = 10 + c;
            d.Gate[c] = 20 + c;
            d.OverThreshold[c] = (tick + c) % 7 == 0;
        }
        for (int j = 0; j < d.ExternalTorque.Length; j++) d.ExternalTorque[j] = Value(tick, j, 4);
        for (int j = 0; j < s.JointCount; j++)
        {
            s.Position[j] = Value(tick, j, 5);
            s.Velocity[j] = Value(tick, j, 6);
            s.Torque[j] = Value(tick, j, 7);
        }
        for (int i = 0; i < s.ImuCount; i++)
        {
            ref var m = ref s.Image.Imus[i];
            m.AngularRateX = (float)Value(tick, i, 8); m.AngularRateY = (float)Value(tick, i, 9); m.AngularRateZ = (float)Value(tick, i, 10);
            m.SpecificForceX = (float)Value(tick, i, 11); m.SpecificForceY = (float)Value(tick, i, 12); m.SpecificForceZ = (float)Value(tick, i, 13);
        }
        d.WorstChannel = (int)(tick % d.Score.Length);
        d.WorstRatio = 0.5;
        d.OverCount = 1;
    }

    public static double Value(long tick, int channel, int field) => ((tick % 1000) * 0.001) + channel * 0.01 + field;

    /// <summary>The repository's root (the folder holding Rt.sln), found upwards from the test binaries.</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Rt.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("Rt.sln not found above " + AppContext.BaseDirectory);
    }

    public static string TempDir(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"rt-telemetry-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static TelemetrySection Section(string broker, string dir, int batch = 10, int decimation = 1) => new()
    {
        Enabled = true,
        Broker = broker,
        RobotId = "r1",
        BatchSize = batch,
        Decimation = decimation,
        OutboxPath = Path.Combine(dir, "outbox"),
    };

    // JSON divergence: the payload tests compare exact values; the protobuf stream has its own tests (ProtobufTests).
    public static TelemetryOptions FastOptions => new() { KeepAliveS = 5, ConnectWatchdogS = 2, FlushIntervalS = 0.05, Encoding = PayloadEncoding.Json };

    public static SafetyEvent Event(long id) => new(id, 1000 + id, 5_000_000 + id, SafetyState.Operational, SafetyState.Stopping,
        Rt.Core.Faults.FaultCode.TwinDivergence, 3, StopCategory.Cat1, 12.5 + id, 10);

    /// <summary>
    /// The real safety log (Rt.Safety's writer and its journal reader), wired as the host wires it: append and fsync,
    /// then tell telemetry. Several instances on one folder are host runs appending to the same log.
    /// </summary>
    public sealed class SafetyLogFile : IDisposable
    {
        private readonly SafetyLogWriter _writer;

        public SafetyLogFile(string dir)
        {
            Path = System.IO.Path.Combine(dir, "safety.log");
            _writer = new SafetyLogWriter(Path);
            Journal = new SafetyLogJournal(Path);
        }

        public string Path { get; }
        public ISafetyJournal Journal { get; }

        /// <summary>Makes the event durable (fsync) without telling telemetry: a kill lands right here.</summary>
        public void Append(SafetyEvent e)
        {
            _writer.Append(e, (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
            _writer.Flush();
        }

        /// <summary>What the host's safety log thread does per event: fsync, then forward to telemetry.</summary>
        public void Log(TelemetryService svc, SafetyEvent e)
        {
            Append(e);
            svc.PublishSafetyEvent(e);
        }

        public void Dispose() => _writer.Dispose();
    }

    /// <summary>A log sink that keeps lines (thread-safe) and echoes them to the test output.</summary>
    public sealed class Log(ITestOutputHelper? output)
    {
        private readonly List<string> _lines = new();
        public void Add(string line)
        {
            lock (_lines) _lines.Add(line);
            try { output?.WriteLine(line); } catch (InvalidOperationException) { }
        }
        public List<string> Lines { get { lock (_lines) return [.. _lines]; } }
        public bool WaitFor(Func<string, bool> match, TimeSpan timeout)
        {
            var end = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < end)
            {
                if (Lines.Any(match)) return true;
                Thread.Sleep(20);
            }
            return false;
        }
    }
}
