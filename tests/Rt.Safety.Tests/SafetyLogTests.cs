using System.Diagnostics;
using Rt.Core.Concurrency;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;
using Xunit.Abstractions;

namespace Rt.Safety.Tests;

public sealed class SafetyLogTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-safety-log-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static SafetyEvent Ev(long id) => new(id, id * 10, id * 1000, SafetyState.Operational, SafetyState.Faulted,
        FaultCode.BusLinkDown, (short)id, StopCategory.Cat0, id * 1.5, 2);

    [Fact]
    public void Records_round_trip()
    {
        string path = Path.Combine(_dir, "a.log");
        using (var w = new SafetyLogWriter(path))
        {
            for (int i = 1; i <= 10; i++) w.Append(Ev(i), 1234);
        }
        var c = SafetyLogReader.Read(path);
        Assert.Empty(c.Damage);
        Assert.False(c.TornTail);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => Ev(i)), c.Records.Select(r => r.Event));
        Assert.All(c.Records, r => Assert.Equal(1234, r.WallUnixNs));
    }

    [Fact]
    public void Torn_record_is_detected_and_skipped_and_later_appends_still_read()
    {
        string path = Path.Combine(_dir, "torn.log");
        using (var w = new SafetyLogWriter(path)) for (int i = 1; i <= 3; i++) w.Append(Ev(i), 0);
        var partial = new byte[SafetyLogFormat.RecordLength];
        SafetyLogFormat.Encode(Ev(4), 0, partial);
        using (var f = new FileStream(path, FileMode.Append)) f.Write(partial, 0, 30); // a crash mid-record
        var torn = SafetyLogReader.Read(path);
        Assert.True(torn.TornTail);
        Assert.Equal(3, torn.Records.Count);
        byte[] before = File.ReadAllBytes(path);

        using (var w = new SafetyLogWriter(path)) for (int i = 5; i <= 6; i++) w.Append(Ev(i), 0);
        byte[] after = File.ReadAllBytes(path);
        Assert.True(after.AsSpan(0, before.Length).SequenceEqual(before)); // never rewritten, only appended
        var c = SafetyLogReader.Read(path);
        Assert.Equal(new long[] { 1, 2, 3, 5, 6 }, c.Records.Select(r => r.Event.Id));
        var d = Assert.Single(c.Damage);
        Assert.Equal(3L * SafetyLogFormat.RecordLength, d.Offset);
        Assert.Equal(30, d.Length);
        Assert.False(c.TornTail);
    }

    [Fact]
    public void Flipped_bit_fails_the_crc_and_only_that_record_is_lost()
    {
        string path = Path.Combine(_dir, "flip.log");
        using (var w = new SafetyLogWriter(path)) for (int i = 1; i <= 5; i++) w.Append(Ev(i), 0);
        var bytes = File.ReadAllBytes(path);
        bytes[2 * SafetyLogFormat.RecordLength + 20] ^= 0x10;
        var c = SafetyLogReader.Parse(bytes);
        Assert.Equal(new long[] { 1, 2, 4, 5 }, c.Records.Select(r => r.Event.Id));
        Assert.Equal("CRC mismatch", Assert.Single(c.Damage).Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Log_survives_kill_9_mid_write(bool splitWrites)
    {
        string path = Path.Combine(_dir, $"kill-{splitWrites}.log");
        string child = ChildDll();
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(child);
        psi.ArgumentList.Add(path);
        psi.ArgumentList.Add(splitWrites ? "split" : "whole");
        using var p = Process.Start(psi)!;
        long lastReported = 0;
        // Keep reading while the child runs, so it is busy appending (not blocked on a full pipe) when it is killed.
        var reader = Task.Run(() =>
        {
            string? line;
            while ((line = p.StandardOutput.ReadLine()) is not null)
                Interlocked.Exchange(ref lastReported, long.Parse(line.AsSpan(6), System.Globalization.CultureInfo.InvariantCulture));
        });
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Interlocked.Read(ref lastReported) < 300 && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(5);
            if (Interlocked.Read(ref lastReported) < 300) Assert.Fail("child stopped early: " + (p.HasExited ? p.StandardError.ReadToEnd() : "timeout"));
        }
        finally
        {
            p.Kill(); // SIGKILL on Linux: no finalisers, no flush
            p.WaitForExit();
        }
        await reader;
        lastReported = Interlocked.Read(ref lastReported);
        Assert.Equal(137, p.ExitCode);

        var c = SafetyLogReader.Read(path);
        output.WriteLine($"split={splitWrites}: reported {lastReported}, read {c.Records.Count} records, torn tail {c.TornTail}, damage {c.Damage.Count}, {c.Length} bytes");
        // Every record the child reported as durable is there, intact and in order; at most the tail is torn.
        Assert.True(c.Records.Count >= lastReported);
        for (int i = 0; i < c.Records.Count; i++)
        {
            var e = c.Records[i].Event;
            Assert.Equal(i + 1, e.Id);
            Assert.Equal(FaultCode.Collision, e.Trigger);
            Assert.Equal(e.Id * 0.5, e.Value);
        }
        Assert.True(c.Damage.Count <= 1);
        if (c.Damage.Count == 1) Assert.True(c.TornTail);
        Assert.Equal(c.Length, c.Records.Count * (long)SafetyLogFormat.RecordLength + c.Damage.Sum(d => d.Length));

        // Restarting appends after the torn tail; nothing before it changes.
        byte[] before = File.ReadAllBytes(path);
        using (var w = new SafetyLogWriter(path)) w.Append(Ev(100_000), 0);
        var again = SafetyLogReader.Read(path);
        Assert.True(File.ReadAllBytes(path).AsSpan(0, before.Length).SequenceEqual(before));
        Assert.Equal(100_000, again.Records[^1].Event.Id);
        Assert.Equal(c.Records.Count + 1, again.Records.Count);
    }

    private static string ChildDll()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')); // tests/Rt.Safety.Tests/bin/<cfg>/<tfm>
        string tfm = bin.Name, cfg = bin.Parent!.Name;
        string tests = bin.Parent!.Parent!.Parent!.Parent!.FullName;
        string dll = Path.Combine(tests, "Rt.Safety.LogChild", "bin", cfg, tfm, "Rt.Safety.LogChild.dll");
        Assert.True(File.Exists(dll), $"child helper not built: {dll}");
        return dll;
    }

    [Fact]
    public void Log_thread_makes_supervisor_events_durable_forwards_them_and_dumps_the_flight_recorder()
    {
        var rig = new Rig();
        var forwarded = new List<SafetyEvent>();
        var forwardRing = new SpscRing<SafetyEvent>(64);
        string path = Path.Combine(_dir, "rt-safety.log");
        // The rig drains its own ring into rig.Log; use a second supervisor-side ring for the log thread.
        var events = new SpscRing<SafetyEvent>(256);
        var recorder = new FlightRecorder(rig.Layout, Rig.PeriodNs, 0.1);
        var sup = new SafetySupervisor(rig.Config, 2, rig.Layout, Rig.PeriodNs, events, rig.EStop, rig.Reset, rig.Enable, recorder);
        using (var log = new SafetyLog(path, events, recorder, _dir, e => { lock (forwarded) forwarded.Add(e); }, forwardRing))
        {
            var s = rig.S;
            s.MotionRequested = true;
            for (long t = 0; t < 300; t++)
            {
                s.Tick = t;
                s.Faults.Clear();
                s.Image.Imus[0].SampleCounter++;
                s.AllDrivesOperational = t > 0;
                s.DriveOperational[0] = s.DriveOperational[1] = t > 0;
                if (t == 200) s.Faults.Add(Fault.Of(FaultCode.BusLinkDown, 0, t));
                sup.Evaluate(s);
                if (t % 50 == 0) log.DrainOnce();
            }
            log.DrainOnce();
            Assert.Equal(3, log.Written);
            var dump = Assert.Single(log.FlightRecordings);
            var lines = File.ReadAllLines(dump);
            Assert.StartsWith("tick,time_ns,safety_state", lines[0], StringComparison.Ordinal);
            Assert.Equal(recorder.KeepTicks + 1, lines.Length); // header + the last 0.1 s of ticks
            Assert.Contains(lines, l => l.StartsWith("200,", StringComparison.Ordinal) && l.Contains(",Faulted,Off,", StringComparison.Ordinal));
            Assert.Contains("hip.position", lines[0], StringComparison.Ordinal);
        }
        var c = SafetyLogReader.Read(path);
        Assert.Equal([SafetyState.Enabling, SafetyState.Operational, SafetyState.Faulted], c.Records.Select(r => r.Event.To));
        Assert.Equal(FaultCode.BusLinkDown, c.Records[2].Event.Trigger);
        Assert.Equal(3, forwarded.Count);
        Assert.Equal(3, forwardRing.Count);
    }

    [Fact]
    public void Log_thread_runs_in_the_background_until_disposed()
    {
        var events = new SpscRing<SafetyEvent>(16);
        string path = Path.Combine(_dir, "bg.log");
        using (var log = new SafetyLog(path, events, pollInterval: TimeSpan.FromMilliseconds(1)))
        {
            log.Start();
            for (int i = 1; i <= 5; i++) events.TryPush(Ev(i));
        } // dispose drains what is left
        Assert.Equal(5, SafetyLogReader.Read(path).Records.Count);
    }
}
