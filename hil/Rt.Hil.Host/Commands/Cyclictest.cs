using System.Diagnostics;
using System.Globalization;
using Rt.ControlLoop.Timing;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Host.Commands;

/// <summary>Runs Debian's cyclictest (rt-tests) with a latency histogram and reads it into a <see cref="LatencyHistogram"/>.</summary>
internal static class Cyclictest
{
    public static LatencyHistogram? Run(double seconds, int priority, long intervalUs, int cpu)
    {
        var hist = Path.Combine(Path.GetTempPath(), $"rt-cyclictest-{Environment.ProcessId}.hist");
        var args = new List<string>
        {
            "-q", "-m", "-t1", $"-i{intervalUs}", $"-D{Math.Max(1, (int)Math.Round(seconds))}s", "-h10000", $"--histfile={hist}",
        };
        if (priority > 0) args.Add($"-p{priority}");
        if (cpu >= 0) args.Add($"-a{cpu}");
        var psi = new ProcessStartInfo("cyclictest") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process? p;
        try
        {
            p = Process.Start(psi);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine("error: cyclictest not found: install Debian rt-tests");
            return null;
        }
        if (p == null) return null;
        string stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 || !File.Exists(hist))
        {
            Console.Error.WriteLine($"error: cyclictest failed (exit {p.ExitCode}): {stderr.Trim()}");
            return null;
        }
        var h = new LatencyHistogram();
        foreach (var line in File.ReadLines(hist))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2) continue;
            if (!long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out long us)) continue;
            if (!long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long count)) continue;
            for (long i = 0; i < count; i++) h.Record(us * 1000);
        }
        File.Delete(hist);
        return h;
    }
}
