using System.Diagnostics;
using Rt.TestSupport;

namespace Rt.Host.Tests;

/// <summary>The rt binary as a user meets it: bad input gives one clear line and a non-zero exit, never a stack trace.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly TempFolders _temp = new(); // deleted after the test

    public void Dispose() => _temp.Dispose();

    private static (int Exit, string Out, string Err) Rt(params string[] args) => RtWith(null, args);

    private static (int Exit, string Out, string Err) RtWith(IDictionary<string, string>? env, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "rt.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        if (env != null) foreach (var (k, v) in env) psi.Environment[k] = v;
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, err);
    }

    private string TempConfig(string name, Func<string, string> edit)
    {
        var dir = new DirectoryInfo(_temp.New("rt-cli-"));
        File.Copy(RepoPaths.Biped12Urdf, Path.Combine(dir.FullName, "biped12.urdf"));
        var yaml = edit(File.ReadAllText(RepoPaths.Biped12Config));
        var path = Path.Combine(dir.FullName, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Help_lists_the_commands()
    {
        var (exit, output, _) = Rt("--help");
        Assert.Equal(0, exit);
        Assert.Contains("run", output);
        Assert.Contains("bench", output);
    }

    [Fact]
    public void An_unknown_config_key_is_named_and_motion_is_refused()
    {
        var path = TempConfig("bad.yaml", y => y.Replace("loop:\n  rate_hz: 1000", "loop:\n  rate_hz: 1000\n  rate_hertz: 1000"));
        var (exit, _, err) = Rt("run", "--config", path, "--bench", "--lockstep", "--duration", "0.1");
        Assert.Equal(2, exit);
        Assert.Contains("rate_hertz", err);
        Assert.DoesNotContain("   at ", err); // no stack trace
    }

    [Fact]
    public void A_zero_gear_ratio_is_named()
    {
        var path = TempConfig("bad.yaml", y =>
        {
            int i = y.IndexOf("gear_ratio: 80", StringComparison.Ordinal);
            return y[..i] + "gear_ratio: 0" + y[(i + "gear_ratio: 80".Length)..];
        });
        var (exit, _, err) = Rt("run", "--config", path, "--bench", "--lockstep", "--duration", "0.1");
        Assert.Equal(2, exit);
        Assert.Contains("gear_ratio", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void A_missing_config_file_is_a_clear_error()
    {
        var (exit, _, err) = Rt("run", "--config", "/nonexistent/robot.yaml", "--bench", "--lockstep");
        Assert.NotEqual(0, exit);
        Assert.Contains("/nonexistent/robot.yaml", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void A_missing_MuJoCo_library_is_one_clear_message_and_exit_3()
    {
        var env = new Dictionary<string, string> { ["RT_MUJOCO_SHIM"] = "/nonexistent/librtmujoco.so" };
        var (exit, _, err) = RtWith(env, "run", "--config", RepoPaths.Biped12Config, "--bench", "--lockstep", "--duration", "0.1");
        Assert.Equal(3, exit);
        Assert.Contains("librtmujoco", err);
        Assert.DoesNotContain("   at ", err);
    }

    [Fact]
    public void A_short_lockstep_run_prints_the_final_report()
    {
        // Hold, not the config's march: the end of --duration is now a real operator stop, and mid-march the twin's
        // divergence trigger (IMU channels) escalates that stop to Cat 1 (exit 1) — reported to the twin/safety owners.
        var (exit, output, err) = Rt("run", "--config", RepoPaths.Biped12Config, "--bench", "--lockstep", "--duration", "2", "--no-ui");
        Assert.True(exit == 0, err + output);
        Assert.Contains("== final report ==", output);
        Assert.Contains("stop: end of --duration: motion stopped (safety Disabled), every drive disabled, every slave in INIT", output);
        Assert.Contains("l_knee", output);
    }
}
