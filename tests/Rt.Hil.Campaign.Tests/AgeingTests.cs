using System.Diagnostics;
using Rt.Hil.Campaign.Ageing;
using Rt.TestSupport;
using Rt.Twin.Health;
using Xunit.Abstractions;

namespace Rt.Hil.Campaign.Tests;

/// <summary>
/// The ageing campaign, fast: five simulated days of a knee wearing fast (friction +25 % of its URDF value and the
/// motor constant −5 % per day) on the bench, each day's session estimated into a health database. The long campaign
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
            FrictionPerDay = 0.25,
            MotorConstantLossPerDay = 0.05,
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

        // The knee's motor constant fell 20 % over the four days (its randomised nameplate factor cancels in the ratio).
        double ratio = At(4, "l_knee").MotorConstantScale / At(0, "l_knee").MotorConstantScale;
        Assert.InRange(ratio, 0.75, 0.85);
        // Its friction rose (0.4 N·m URDF Coulomb friction: +0.4 N·m over four days, seen through its own estimate).
        Assert.True(At(4, "l_knee").CoulombFrictionNm > At(0, "l_knee").CoulombFrictionNm + 0.2,
            $"l_knee Coulomb friction {At(0, "l_knee").CoulombFrictionNm:F3} → {At(4, "l_knee").CoulombFrictionNm:F3}");
        // The other knee, on the same plant, stays where it was.
        Assert.InRange(At(4, "r_knee").MotorConstantScale / At(0, "r_knee").MotorConstantScale, 0.97, 1.03);
        Assert.InRange(At(4, "r_knee").CoulombFrictionNm - At(0, "r_knee").CoulombFrictionNm, -0.05, 0.05);
    }
}
