using System.CommandLine;
using System.Globalization;
using Rt.Core.Errors;
using Rt.Hil.Campaign;
using Rt.Hil.Campaign.Datasets;
using Rt.Hil.Campaign.Reports;
using Rt.Host.Commands;
using Rt.Session;

namespace Rt.Hil.Host.Commands;

/// <summary>
/// <c>rt dataset export &lt;recordings…&gt; --out &lt;dir&gt; [--report campaign.json]</c>: recordings (tick log or MCAP)
/// to a LeRobot dataset; with a campaign report, each recording the report names gets its run's labels. Also the
/// export behind <c>rt hil run … --dataset</c>. Not real-time safe (offline).
/// </summary>
internal static class DatasetCommand
{
    public static Command Create()
    {
        var recordings = new Argument<FileInfo[]>("recordings") { Description = "Recordings (rt run --record, rt hil run --record): tick log or MCAP", Arity = ArgumentArity.OneOrMore };
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Dataset folder to create (LeRobot v2.1 layout)", Required = true };
        var report = new Option<FileInfo?>("--report") { Description = "A campaign's JSON report (rt hil run --json): labels each recording it names with its run's fault, class and trip" };
        var export = new Command("export", "Write recordings as a LeRobot dataset (Parquet episodes, meta/info.json, episodes, tasks) with fault and trip labels") { recordings, output, report };
        export.SetAction(r => CommandRunner.Guard(() =>
        {
            var labels = new Dictionary<string, ScenarioResult>(StringComparer.Ordinal);
            if (r.GetValue(report) is { } rep)
                foreach (var s in JsonReport.Read(rep.FullName).Campaign.Scenarios)
                    if (s.Recording != null) labels[Path.GetFileName(s.Recording)] = s;
            var episodes = (r.GetValue(recordings) ?? []).Select(f =>
                new DatasetEpisode(f.FullName, labels.TryGetValue(f.Name, out var s) ? EpisodeLabels.From(s) : EpisodeLabels.None)).ToList();
            var summary = LeRobotDataset.Export(episodes, r.GetValue(output)!.FullName);
            Print(summary);
            return ExitCodes.Ok;
        }));
        return new Command("dataset", "Learning datasets from recordings") { export };
    }

    /// <summary>The export after a campaign: every recorded run that ran to its end, labelled from its result.</summary>
    public static void ExportCampaign(CampaignResult result, string outDir)
    {
        var runs = result.Scenarios.Where(s => s.Recording != null && s.Verdict is Verdict.Pass or Verdict.Fail).ToList();
        if (runs.Count == 0) throw new InputError("command line", "--dataset", "no run was recorded to the end (skipped or errored runs are left out)");
        var summary = LeRobotDataset.Export([.. runs.Select(s => new DatasetEpisode(s.Recording!, EpisodeLabels.From(s)))], outDir);
        long expected = runs.Sum(s => s.Ticks);
        long dropped = runs.Sum(s => s.RecordingDropped);
        Print(summary);
        if (summary.Frames != expected || dropped != 0)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dataset: {summary.Frames} frames for {expected} ticks run ({dropped} dropped by the recorders)"));
    }

    private static void Print(DatasetSummary s) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"dataset {s.Directory}: {s.Episodes} episodes, {s.Frames} frames, {s.Bytes / 1e6:0.0} MB in {s.WallS:0.0} s"));
}
