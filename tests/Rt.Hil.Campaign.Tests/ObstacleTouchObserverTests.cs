using Rt.Core.Config;
using Rt.Hil.Campaign.Injections;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// The observer's obstacle touch record on the real bench: per link peak force from the injection to trip + 20 ms (the
/// isolator's evidence window), allocation-free per tick like the rest of <see cref="ScenarioObserver.AfterTick"/>.
/// </summary>
public sealed class ObstacleTouchObserverTests(TwinlessRobot robot) : IClassFixture<TwinlessRobot>, IDisposable
{
    private readonly string _stateRoot = Directory.CreateTempSubdirectory("rt-touch-state-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_stateRoot, recursive: true); }
        catch (IOException) { } // best effort
    }

    [SkippableFact]
    public void The_box_on_the_left_shin_is_touched_first_by_it_watched_until_trip_plus_20_ms_and_observed_without_allocation()
    {
        var config = ConfigLoader.Load(robot.ConfigPath);
        config.Safety.Triggers["collision"] = new TriggerConfig { Reaction = "warn", DiscrepancyTicks = 1 }; // the trip is the frame loss's
        Rt.Session.HostSession session;
        try
        {
            session = BenchSession.Create(config, new Rt.Session.SessionOptions
            {
                Bench = true, Lockstep = true, Seed = 1, EnableMotion = true, StateDirectory = Path.Combine(_stateRoot, "touch"),
            });
        }
        catch (Rt.Hil.Plant.BenchUnavailableException e)
        {
            Skip.If(true, e.Message);
            throw;
        }
        using (session)
        {
            var s = robot.Scenario("touch", "duration_s: 2\nseed: 1\ninjections:\n  - { at_s: 1.0, kind: collision_obstacle, target: l_shin }\nexpect: { outcome: stop, within_ms: 200 }");
            using var injector = new FaultInjector(session, s);
            var observer = new ScenarioObserver(session, s, 2000);
            var scheduler = session.CreateLockstep();
            long allocated = 0;
            var where = new List<string>(100);
            for (long t = 0; t < 2000; t++)
            {
                if (t >= injector.NextEventTick) injector.ApplyDue(t);
                if (t == 1100) session.BenchBridge!.Segment.DropNextFrames = 10; // a Cat 0 trip closes the window
                scheduler.Run(1, t);
                long before = GC.GetAllocatedBytesForCurrentThread();
                observer.AfterTick(t);
                long b = GC.GetAllocatedBytesForCurrentThread() - before;
                if (t >= 100 && b != 0) where.Add($"{t}:{b}");
                if (t >= 100) allocated += b;
            }
            Assert.True(allocated == 0, string.Join(",", where));
            long trip = observer.TripTick;
            Assert.True(trip >= 1100, $"trip tick {trip}");
            var r = observer.Finish("lockstep", 0, injector.Applied, new Dictionary<string, double>(), injector.FirstInjectionTick);
            var touch = Assert.IsType<ObstacleTouch>(r.Touch);
            Assert.Equal(1000, touch.FromTick);
            Assert.Equal(trip + 20, touch.ToTick); // 1 kHz: the 20 ms evidence window after the trip
            Assert.Equal("l_shin", touch.FirstTouched);
            Assert.Contains(touch.Touched, l => l.Link == "l_shin" && l.PeakN > 0);
            Assert.DoesNotContain(touch.Links, l => l.Link.StartsWith("r_", StringComparison.Ordinal)); // the other leg is far away
            Assert.False(touch.Incomplete);
        }
    }
}
