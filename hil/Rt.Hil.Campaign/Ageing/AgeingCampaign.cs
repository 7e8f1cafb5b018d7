using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Hil.Campaign.Scenarios;
using Rt.Session;
using Rt.Twin.Health;
using Rt.Twin.Recording;

namespace Rt.Hil.Campaign.Ageing;

/// <summary>What an ageing campaign runs (<c>rt hil age</c>; docs/TWIN.md, "Health").</summary>
public sealed record AgeingOptions
{
    /// <summary>The scenario whose robot, motion, seed and randomisation every day's session uses (its injections are not).</summary>
    public required string BaseScenarioPath { get; init; }
    /// <summary>The joint that wears; null = a healthy robot (no ageing: every warning is a false one).</summary>
    public string? Joint { get; init; } = "l_knee";
    /// <summary>Simulated days (sessions at day 0, StepDays, … up to Days).</summary>
    public int Days { get; init; } = 60;
    public double StepDays { get; init; } = 1;
    /// <summary>Length of each day's session, simulated seconds.</summary>
    public double SessionS { get; init; } = 2;
    /// <summary>Friction growth per day, as a fraction of the joint's URDF Coulomb friction and damping (linear in days).</summary>
    public double FrictionPerDay { get; init; } = 0.02;
    /// <summary>Motor-constant loss per day, as a fraction of the nameplate value (linear in days).</summary>
    public double MotorConstantLossPerDay { get; init; } = 0.005;
    /// <summary>Overrides the base scenario's seed (plant randomisation and noise streams).</summary>
    public ulong? Seed { get; init; }
    /// <summary>The health database the campaign fills (must not exist, or be a health database).</summary>
    public required string Database { get; init; }
    /// <summary>Each day's recording goes here (deleted once estimated unless <see cref="KeepRecordings"/>).</summary>
    public required string WorkDirectory { get; init; }
    public bool KeepRecordings { get; init; }
    /// <summary>Stop after the first day the supervisor trips (the robot would go to maintenance).</summary>
    public bool StopAtTrip { get; init; } = true;
    public HealthForecastOptions Forecast { get; init; } = HealthForecastOptions.Default;
}

/// <summary>One simulated day: the session's outcome and the forecast's warnings after adding it.</summary>
public sealed record AgeingDay(double Day, double FrictionAddedNm, double MotorConstantFactor, bool Tripped, string? TripTrigger, string Verdict, IReadOnlyList<ParameterForecast> Warnings);

/// <summary>
/// An ageing campaign's outcome: the first forecast warning on the ageing joint, the first trip, the lead between them,
/// and the warnings on the joints that do not age (false warnings).
/// </summary>
/// <param name="WorstHealthyReach">Over the joints that do not age, every parameter and every day before a trip: the largest
/// <see cref="ParameterForecast.BandReach"/> at the warning horizon (≥ 1 is a false warning), and where it was.</param>
public sealed record AgeingResult(string Scenario, ulong Seed, string? Joint, IReadOnlyList<AgeingDay> Days, double? FirstWarningDay, double? TripDay, IReadOnlyList<string> FalseWarnings, double WallS,
    double WorstHealthyReach = double.NaN, string? WorstHealthyAt = null)
{
    /// <summary>Days between the first warning and the trip (null without both).</summary>
    public double? LeadDays => FirstWarningDay is { } w && TripDay is { } t ? t - w : null;
}

/// <summary>
/// Ages one joint of the emulated robot slowly and follows its health history: one short lockstep session per simulated
/// day on the same randomised plant, with the joint's friction (Coulomb and viscous) raised by
/// <see cref="AgeingOptions.FrictionPerDay"/> × its URDF value per day and its motor constant lowered by
/// <see cref="AgeingOptions.MotorConstantLossPerDay"/> per day (through the bench's joint-friction and torque-scale
/// injections, from tick 0); each day's recording is estimated (<see cref="HealthEstimator"/>) into the health database
/// and the forecast is run on the history so far. The supervisor runs as on the robot: the day it trips is the day the
/// forecast had to beat. Not real-time safe (offline campaign).
/// </summary>
public static class AgeingCampaign
{
    public static AgeingResult Run(AgeingOptions options, Action<AgeingDay>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.Days >= 0 && options.Days <= 3650)) throw new InputError("command line", "--days", $"{options.Days}; expected 0..3650");
        if (!(options.StepDays > 0 && options.StepDays <= 365)) throw new InputError("command line", "--step-days", $"{options.StepDays}; expected (0, 365]");
        if (!(options.SessionS >= 0.5 && options.SessionS <= 600)) throw new InputError("command line", "--session-s", $"{options.SessionS}; expected 0.5..600 s");
        if (!(options.FrictionPerDay >= 0 && options.FrictionPerDay <= 1)) throw new InputError("command line", "--friction-per-day", $"{options.FrictionPerDay}; expected 0..1");
        if (!(options.MotorConstantLossPerDay >= 0 && options.MotorConstantLossPerDay <= 0.1)) throw new InputError("command line", "--motor-constant-loss-per-day", $"{options.MotorConstantLossPerDay}; expected 0..0.1");
        var wall = System.Diagnostics.Stopwatch.StartNew();
        var baseScenario = ScenarioLoader.Load(options.BaseScenarioPath);
        if (options.Seed is { } seed) baseScenario = baseScenario with { Seed = seed };
        var config = ConfigLoader.Load(baseScenario.ConfigPath);
        var description = config.Description ?? throw new InputError(baseScenario.ConfigPath, "robot.description", "the ageing campaign needs the robot's URDF");
        double f0 = 0, b0 = 0;
        if (options.Joint is { } joint)
        {
            if (config.Joints.FindIndex(j => j.Name == joint) < 0)
                throw new InputError("command line", "--joint", $"'{joint}' is not a joint of {config.Robot.Name}; expected one of {string.Join(", ", config.Joints.Select(j => j.Name))}");
            var dynamics = description.FindJoint(joint)?.Dynamics;
            f0 = dynamics?.Friction ?? 0;
            b0 = dynamics?.Damping ?? 0;
        }
        var parameters = Rt.Twin.Health.HealthHistory.ConfigParameters(config);
        HealthDatabase.OpenWrite(options.Database).Dispose(); // refuse a bad database before the first session
        Directory.CreateDirectory(options.WorkDirectory);

        var days = new List<AgeingDay>();
        var falseWarnings = new List<string>();
        double? firstWarning = null, tripDay = null;
        double worstReach = double.NaN;
        string? worstAt = null;
        // A day's state folder (kept when its run fails: the last day's trip is the ageing's expected end) goes with its
        // recordings into the work folder, not the runner's shared default in the system temp folder.
        var campaignOptions = new CampaignOptions { Jobs = 1, RecordDirectory = options.WorkDirectory, StateRoot = options.WorkDirectory };
        int steps = (int)Math.Floor(options.Days / options.StepDays + 1e-9);
        for (int i = 0; i <= steps && !ct.IsCancellationRequested; i++)
        {
            double day = i * options.StepDays;
            double friction = f0 * options.FrictionPerDay * day, damping = b0 * options.FrictionPerDay * day;
            double kt = options.Joint is null ? 1 : Math.Max(0, 1 - options.MotorConstantLossPerDay * day);
            var injections = new List<Injection>();
            if (options.Joint is { } target)
            {
                injections.Add(new Injection { Kind = InjectionKind.JointFriction, AtS = 0, Target = target, FrictionNm = friction, DampingNms = damping });
                injections.Add(new Injection { Kind = InjectionKind.TorqueLoss, AtS = 0, Target = target, Scale = kt });
            }
            var scenario = baseScenario with
            {
                Name = $"ageing-{options.Joint ?? "healthy"}-day{day:000.##}",
                // The same plant every day, fresh sensor noise each day: day-to-day estimation noise is real, not replayed.
                NoiseSeed = DayNoiseSeed(baseScenario.Seed, i),
                DurationS = options.SessionS,
                Injections = injections,
                Expect = new Expectation { Outcome = ExpectedOutcome.NoTrip },
            };
            var result = ScenarioRunner.Run(scenario, campaignOptions, ct);
            if (result.Verdict == Verdict.Error || result.Recording is null || !File.Exists(result.Recording))
                throw new HostUnavailableException($"ageing day {day}: the session did not run ({result.Reason})");
            bool tripped = result.TripTick is not null;
            var recording = TickRecording.Open(result.Recording);
            HealthHistory.Add(options.Database, recording, config, parameters, "hil", day, tripped);
            if (!options.KeepRecordings) File.Delete(result.Recording);

            IReadOnlyList<HealthEntry> history;
            using (var db = HealthDatabase.OpenRead(options.Database)) history = db.ReadAll();
            var forecasts = HealthForecaster.ForecastAll(history, options.Forecast);
            var warnings = forecasts.Where(f => f.Status is ForecastStatus.Warning or ForecastStatus.OverLimit).ToList();
            if (!tripped)
                foreach (var f in forecasts)
                {
                    if (f.Joint == options.Joint) continue;
                    double reach = f.BandReach(options.Forecast.WarningHorizonDays);
                    if (double.IsNaN(reach) || reach <= worstReach) continue;
                    worstReach = reach;
                    worstAt = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{f.Joint} {HealthParameters.Name(f.Parameter)} day {day:F1}");
                }
            // A tripped session's recording holds the stop itself (every joint braking): its forecast is after the fact and
            // counts neither as an early warning nor as a false one.
            foreach (var w in tripped ? new List<ParameterForecast>() : warnings)
            {
                if (w.Joint == options.Joint) firstWarning ??= day;
                else
                {
                    string key = $"{w.Joint} {HealthParameters.Name(w.Parameter)}";
                    if (!falseWarnings.Contains(key)) falseWarnings.Add(key);
                }
            }
            var entry = new AgeingDay(day, friction, kt, tripped, result.TripTrigger, result.Verdict.ToString(), warnings);
            days.Add(entry);
            progress?.Invoke(entry);
            if (tripped)
            {
                tripDay ??= day;
                if (options.StopAtTrip) break;
            }
        }
        return new AgeingResult(baseScenario.Name, baseScenario.Seed, options.Joint, days, firstWarning, tripDay, falseWarnings, wall.Elapsed.TotalSeconds, worstReach, worstAt);
    }

    /// <summary>The sensor-noise seed of session <paramref name="index"/> of the campaign on <paramref name="seed"/> (SplitMix64 of both).</summary>
    public static ulong DayNoiseSeed(ulong seed, int index)
    {
        ulong z = unchecked(seed * 0x9E3779B97F4A7C15UL + (ulong)(index + 1) * 0xD1B54A32D192ED03UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
