using System.Diagnostics;
using Rt.Hil.Campaign.Ageing;
using Rt.TestSupport;
using Rt.Twin.Health;
using Xunit.Abstractions;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// The ageing campaign, fast: five simulated days of a knee wearing fast (friction +10 % of its URDF value and the
/// motor constant −2 % per day: below the ~18 % loss at which the supervisor trips) on the bench, each day's session estimated into a health database. The long campaign
/// (60 days, 20 healthy seeds) is `rt hil age` (docs/TWIN.md, "Health").
/// </summary>
public sealed class AgeingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-ageing-tests-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { } // best effort
    }

    [Fact]
    public void A_wearing_knee_shows_in_its_health_history_and_the_others_do_not()
    {
        string db = Path.Combine(_dir, "h.db");
        var result = AgeingCampaign.Run(new AgeingOptions
        {
            BaseScenarioPath = Path.Combine(RepoPaths.Root, "hil", "scenarios", "nominal-march-short.yaml"),
            Joint = "l_knee",
            Days = 4,
            SessionS = 2,
            FrictionPerDay = 0.10,
            MotorConstantLossPerDay = 0.02,
            Database = db,
            WorkDirectory = Path.Combine(_dir, "work"),
            StopAtTrip = false,
        }, d => output.WriteLine($"day {d.Day}: tripped {d.Tripped} warnings {d.Warnings.Count}"));

        Assert.Equal(5, result.Days.Count);
        using var read = HealthDatabase.OpenRead(db);
        var history = read.ReadAll();
        Assert.Equal(5, history.Count);
        Assert.All(history, e => Assert.Equal(12, e.Joints.Count));
        Assert.Equal(new double[] { 0, 1, 2, 3, 4 }, history.Select(e => e.Session.Day));
        JointHealth At(int day, string joint) => history[day].Joints.Single(j => j.Joint == joint);
        for (int d = 0; d <= 4; d++)
            output.WriteLine(FormattableString.Invariant($"day {d}: l_knee Fc {At(d, "l_knee").CoulombFrictionNm:F3} B {At(d, "l_knee").ViscousFrictionNmsPerRad:F3} s {At(d, "l_knee").MotorConstantScale:F3}; r_knee Fc {At(d, "r_knee").CoulombFrictionNm:F3} s {At(d, "r_knee").MotorConstantScale:F3}"));

        // A tripped session records the stop itself, not the wear: the rates are chosen to stay below the trip.
        Assert.All(result.Days, d => Assert.False(d.Tripped, $"day {d.Day} tripped ({d.TripTrigger})"));
        // The knee's motor constant fell 8 % over the four days (its randomised nameplate factor cancels in the ratio).
        double ratio = At(4, "l_knee").MotorConstantScale / At(0, "l_knee").MotorConstantScale;
        Assert.InRange(ratio, 0.87, 0.97);
        // Its friction rose: at 1 rad/s, F_c + B·1 gained 0.16 + 0.24 N·m (URDF 0.4 N·m and 0.6 N·m·s/rad, +40 %);
        // the estimator may split it between the two terms, so the sum is checked, to half the injected rise.
        double Friction(int day) => At(day, "l_knee").CoulombFrictionNm + At(day, "l_knee").ViscousFrictionNmsPerRad;
        Assert.True(Friction(4) > Friction(0) + 0.2, $"l_knee F_c + B {Friction(0):F3} → {Friction(4):F3}");
        // The other knee, on the same plant, stays where it was.
        Assert.InRange(At(4, "r_knee").MotorConstantScale / At(0, "r_knee").MotorConstantScale, 0.97, 1.03);
        Assert.InRange(At(4, "r_knee").CoulombFrictionNm - At(0, "r_knee").CoulombFrictionNm, -0.05, 0.05);
    }

    [Fact]
    public void A_weakening_knee_warns_before_the_supervisor_trips_and_the_healthy_joints_do_not()
    {
        // Shortened: the knee's motor constant loses 4 % a day, a session every half day; the supervisor trips near a
        // 20 % loss (day ≈ 5). The warning must come on an earlier, untripped day; no other joint may warn.
        string db = Path.Combine(_dir, "w.db");
        var result = AgeingCampaign.Run(new AgeingOptions
        {
            BaseScenarioPath = Path.Combine(RepoPaths.Root, "hil", "scenarios", "nominal-march-short.yaml"),
            Joint = "l_knee",
            Days = 8,
            StepDays = 0.5,
            SessionS = 2,
            FrictionPerDay = 0,
            MotorConstantLossPerDay = 0.04,
            Database = db,
            WorkDirectory = Path.Combine(_dir, "work-w"),
        }, d => output.WriteLine($"day {d.Day}: kt ×{d.MotorConstantFactor:F2} tripped {d.Tripped} ({d.TripTrigger}) warnings [{string.Join(", ", d.Warnings.Select(w => $"{w.Joint} {HealthParameters.Name(w.Parameter)}"))}]"));
        output.WriteLine($"first warning {result.FirstWarningDay}, trip {result.TripDay}, lead {result.LeadDays}, worst healthy reach {result.WorstHealthyReach:F3} ({result.WorstHealthyAt})");

        Assert.NotNull(result.TripDay);
        Assert.NotNull(result.FirstWarningDay);
        Assert.True(result.FirstWarningDay < result.TripDay, $"warned on day {result.FirstWarningDay}, tripped on day {result.TripDay}");
        Assert.Empty(result.FalseWarnings);
        Assert.True(result.WorstHealthyReach < 1, $"a healthy joint's band reached {result.WorstHealthyReach} of the way to its limit ({result.WorstHealthyAt})");

        // Each day draws its own sensor noise (same plant): a healthy joint's estimates differ from day to day.
        using var read = HealthDatabase.OpenRead(db);
        var history = read.ReadAll();
        double r0 = history[0].Joints.Single(j => j.Joint == "r_knee").CoulombFrictionNm, r1 = history[1].Joints.Single(j => j.Joint == "r_knee").CoulombFrictionNm;
        Assert.NotEqual(r0, r1);
        Assert.Equal(AgeingCampaign.DayNoiseSeed(103, 1), AgeingCampaign.DayNoiseSeed(103, 1));
        Assert.NotEqual(AgeingCampaign.DayNoiseSeed(103, 1), AgeingCampaign.DayNoiseSeed(103, 2));
    }
}
