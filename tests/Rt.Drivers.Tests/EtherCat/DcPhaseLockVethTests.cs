using System.Diagnostics;
using Rt.ControlLoop.Scheduling;
using Rt.Core.Config;
using Rt.Core.Time;
using Rt.Hil.Esc.Segment;
using Rt.Hil.Esc.Server;
using Rt.Session;
using Rt.TestSupport;
using Xunit.Abstractions;

namespace Rt.Drivers.Tests.EtherCat;

/// <summary>
/// Issue 13, DC wired: <c>rt run</c>'s session over a veth pair to a served bench (as <c>rt hil serve</c>: every ESC
/// clock on CLOCK_MONOTONIC, with its own offset and a drift of up to ±20 ppm) phase-locks its real-time cycle to the
/// DC reference clock: the scheduler applies the fieldbus's period correction each tick, and the phase error the
/// fieldbus measures settles around zero. Reports itself skipped when the served thread misses the reply wait for
/// more than 5 % of the frames (a loaded machine). Asserted on the error's median over the last ticks (the PI loop's integral
/// drives its mean to zero however late a loaded machine wakes), not on jitter; the figures are printed.
/// </summary>
[Collection("dc-phase-lock")]
public sealed class DcPhaseLockVethTests(ITestOutputHelper output)
{
    private const int Ticks = 3000;
    private const int Window = 1000;

    /// <summary>Records the fieldbus's phase error after each tick, on the tick thread, into a preallocated array.</summary>
    private sealed class PhaseRecorder(HostSession session) : ISimulatedWorld
    {
        public readonly long[] Phase = new long[Ticks + 16];
        public readonly long[] Correction = new long[Ticks + 16];
        public int Count;

        public void Advance(long periodNs)
        {
            if (Count >= Phase.Length) return;
            Phase[Count] = session.EtherCat!.DcPhaseErrorNs;
            Correction[Count++] = session.EtherCat.DcPeriodCorrectionNs;
        }
    }

    [SkippableFact]
    public void Rt_run_over_a_veth_pair_phase_locks_its_cycle_to_the_dc_reference_clock()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root",
            "needs root on Linux to create a veth pair and open AF_PACKET sockets");
        string a = $"c13dc{Environment.ProcessId % 10000}a", b = $"c13dc{Environment.ProcessId % 10000}b";
        Ip($"link del {a}");
        Skip.If(Ip($"link add {a} type veth peer name {b}") != 0, "cannot create a veth pair here (ip link add failed)");
        var state = Directory.CreateTempSubdirectory("rt-dc-lock-");
        try
        {
            Assert.Equal(0, Ip($"link set {a} up"));
            Assert.Equal(0, Ip($"link set {b} up"));
            var config = ConfigLoader.Load(RepoPaths.Combine("hil", "robots", "biped12", "biped12.yaml"));
            Assert.True(config.Bus.DistributedClocks);
            var segment = EscBenchSegment.FromConfig(config, new EscBenchOptions { SpreadClocks = true, DriftSpreadPpm = 20, DcClock = MonotonicClock.Instance });
            using var server = new EscRawServer(a, segment);
            using var cts = new CancellationTokenSource();
            var thread = new Thread(() => server.Run(cts.Token, 20)) { IsBackground = true, Name = "esc-serve" };
            thread.Start();
            try
            {
                using var session = HostSession.Create(config, new SessionOptions
                {
                    Bench = true, // emulated e-stop and enable lines; the bus is the served one behind the interface
                    Lockstep = false,
                    Interface = b,
                    EnableMotion = false,
                    StateDirectory = state.FullName,
                    DurationS = Ticks / 1000.0,
                });
                Assert.True(session.DcPhaseLocked);
                var recorder = new PhaseRecorder(session);
                var scheduler = session.CreateRealtime(recorder);
                var wall = Stopwatch.StartNew();
                scheduler.Run(Ticks);
                wall.Stop();

                int n = recorder.Count;
                Assert.True(n >= Window * 2, $"only {n} ticks ran");
                var last = recorder.Phase.AsSpan(n - Window, Window).ToArray();
                Array.Sort(last);
                long median = last[Window / 2];
                long medianAbs = last.Select(Math.Abs).Order().ElementAt(Window / 2);
                long first = recorder.Phase.AsSpan(0, n).ToArray().FirstOrDefault(p => p != 0);
                output.WriteLine($"dc-lock-first-phase-error: {first / 1000.0:0.0} us");
                output.WriteLine($"dc-lock-median-phase-error-last-{Window}: {median / 1000.0:0.0} us");
                output.WriteLine($"dc-lock-median-abs-phase-error-last-{Window}: {medianAbs / 1000.0:0.0} us");
                output.WriteLine($"dc-lock-total-correction: {scheduler.CorrectionTotalNs / 1000.0:0.0} us");
                output.WriteLine($"dc-lock-lost-frames: {session.EtherCat!.LostFrames} of {session.EtherCat.Cycles}");
                output.WriteLine($"dc-lock-wall: {wall.Elapsed.TotalSeconds:0.00} s for {n} ticks");

                // The served segment answers from its own thread; on a loaded machine it may miss the tick's reply wait
                // (half a period) for most frames, and a loop fed by the few that make it says nothing about the lock.
                long lost = session.EtherCat.LostFrames;
                Skip.If(lost * 20 > session.EtherCat.Cycles,
                    $"the served segment missed the reply wait for {lost} of {session.EtherCat.Cycles} frames on this machine: too loaded to judge the lock (DcPhaseLockTests covers it in-process)");
                // The scheduler took the corrections (the grid moved) ...
                Assert.NotEqual(0, scheduler.CorrectionTotalNs);
                // ... and the frame passes the reference at the wanted phase: median error within a tenth of the cycle.
                Assert.InRange(median, -100_000, 100_000);
                Assert.Equal(0, scheduler.AllocatedBytesAfterWarmup);
            }
            finally
            {
                cts.Cancel();
                thread.Join();
            }
        }
        finally
        {
            Ip($"link del {a}");
            state.Delete(recursive: true);
        }
    }

    private static int Ip(string args)
    {
        using var p = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        p.WaitForExit();
        return p.ExitCode;
    }
}
