using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.TestSupport;
using Xunit.Abstractions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Rt.Core.Tests.Config;

/// <summary>
/// Issue 11: every refusal class of the one validating YAML reader (<see cref="YamlInput"/>) and of the config's
/// bounds and path rules. Each refusal is one <see cref="InputError"/> line naming the file, line:column, the key path
/// and what was expected; nothing here may crash the process.
/// </summary>
public sealed class InputHardeningTests(ITestOutputHelper output)
{
    private const string Source = "/etc/rt/input.yaml";

    private static readonly string Biped12 = File.ReadAllText(RepoPaths.Biped12Config);

    private static readonly Regex OneLine = new(@"^[^\n]+: line \d+:\d+(, key [^\n:]+)?: [^\n]+$");

    private static InputError RejectConfig(string yaml)
    {
        var e = Assert.Throws<InputError>(() => ConfigLoader.Parse(yaml, RepoPaths.Biped12Config));
        Assert.Equal(RepoPaths.Biped12Config, e.Source_);
        return e;
    }

    private static string Edit(string oldText, string newText)
    {
        Assert.Contains(oldText, Biped12, StringComparison.Ordinal);
        int at = Biped12.IndexOf(oldText, StringComparison.Ordinal);
        return string.Concat(Biped12.AsSpan(0, at), newText, Biped12.AsSpan(at + oldText.Length));
    }

    // ---- nesting: refused before YamlDotNet's recursive node builder descends ----

    [Theory]
    [InlineData('[', ']')]
    [InlineData('{', '}')]
    public void A_hundred_thousand_nested_flow_collections_are_one_input_error_not_a_stack_overflow(char open, char close)
    {
        string deep = new string(open, 100_000) + new string(close, 100_000) + "\n";
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<InputError>(() => YamlInput.Parse(deep, Source, "empty"));
        output.WriteLine($"nesting_100k_{(open == '[' ? "list" : "map")}_refusal: {clock.Elapsed.TotalMilliseconds:F1} ms");
        Assert.Equal(Source, e.Source_);
        Assert.Contains($"nest more than {YamlInput.MaxDepth} deep", e.Problem, StringComparison.Ordinal);
        Assert.Equal($"line 1:{YamlInput.MaxDepth + 1}", e.Location);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Deep_nesting_in_the_config_is_refused_through_the_loader()
    {
        var e = RejectConfig(Edit("  rate_hz: 1000", "  rate_hz: " + new string('[', 100_000)));
        Assert.Contains("nest more than", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_block_nesting_is_refused_too()
    {
        // "- - - - x": block lists nest one level per "- " on a single line.
        var e = Assert.Throws<InputError>(() => YamlInput.Parse(string.Concat(Enumerable.Repeat("- ", 100_000)) + "x\n", Source, "empty"));
        Assert.Contains("nest more than", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_accepted()
    {
        string ok = new string('[', YamlInput.MaxDepth) + new string(']', YamlInput.MaxDepth);
        Assert.NotNull(YamlInput.Parse(ok, Source, "empty"));
        Assert.Throws<InputError>(() => YamlInput.Parse("[" + ok + "]", Source, "empty"));
    }

    /// <summary>
    /// The measurement behind the guard's design. YamlDotNet's scanner and parser are iterative: 10 000 levels of events
    /// pass on a thread with a 256 KiB stack (recursion at even 32 bytes a level would need more). But they are
    /// quadratic in the nesting depth (each token rescans the open simple keys): 100 000 levels took 132 s in one run
    /// here, so the guard must stop the events early, not merely before the node builder (it refuses in milliseconds).
    /// </summary>
    [Fact]
    public void YamlDotNets_scanner_and_parser_do_not_recurse_on_nesting()
    {
        const int depth = 10_000;
        string deep = new string('[', depth) + new string(']', depth);
        int max = 0;
        Exception? failure = null;
        var clock = Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            try
            {
                var parser = new Parser(new StringReader(deep));
                int level = 0;
                while (parser.MoveNext())
                {
                    if (parser.Current is SequenceStart) max = Math.Max(max, ++level);
                    else if (parser.Current is SequenceEnd) level--;
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        output.WriteLine($"yamldotnet_events_10k_nesting: {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Null(failure);
        Assert.Equal(depth, max);
    }

    // ---- documents, aliases, size ----

    [Fact]
    public void A_second_document_is_refused_at_its_start()
    {
        var e = Assert.Throws<InputError>(() => YamlInput.Parse("a: 1\n---\nb: [\n", Source, "empty"));
        Assert.Equal("line 2:1", e.Location);
        Assert.Contains("more than one YAML document", e.Problem, StringComparison.Ordinal);
        Assert.Contains("more than one YAML document", RejectConfig(Biped12 + "\n---\nloop: { rate_hz: 5 }\n").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aliases_are_refused_so_a_walk_cannot_expand_them()
    {
        const string laughs = "a: &a [1, 1]\nb: &b [*a, *a]\nc: [*b, *b]\n";
        var e = Assert.Throws<InputError>(() => YamlInput.Parse(laughs, Source, "empty"));
        Assert.Equal("line 2:8", e.Location);
        Assert.Contains("alias '*a'", e.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_oversized_text_is_refused_without_parsing()
    {
        var e = Assert.Throws<InputError>(() => YamlInput.Parse(new string('#', YamlInput.MaxFileBytes + 1), Source, "empty"));
        Assert.Contains($"at most {YamlInput.MaxFileBytes}", e.Problem, StringComparison.Ordinal);
    }

    // ---- scalar types ----

    public static TheoryData<string, string, string, string> QuotedScalars => new()
    {
        { "  rate_hz: 1000", "  rate_hz: \"1000\"", "loop.rate_hz", "a number" },
        { "  priority: 80", "  priority: '80'", "loop.priority", "a whole number" },
        { "  enabled: false", "  enabled: \"false\"", "telemetry.enabled", "true or false" },
    };

    [Theory]
    [MemberData(nameof(QuotedScalars))]
    public void A_quoted_number_or_boolean_is_text_and_refused(string oldText, string newText, string key, string expected)
    {
        var e = RejectConfig(Edit(oldText, newText));
        Assert.Contains($", key {key}: is quoted text", e.Message, StringComparison.Ordinal);
        Assert.Contains($"expected {expected}, written without quotes", e.Message, StringComparison.Ordinal);
        Assert.Matches(OneLine, e.Message);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData(".nan")]
    [InlineData("-.inf")]
    [InlineData("Infinity")]
    [InlineData("1e999")]
    public void Non_finite_numbers_are_refused(string value)
    {
        var e = RejectConfig(Edit("    gear_ratio: 80", $"    gear_ratio: {value}"));
        Assert.Contains("key joints[0].gear_ratio", e.Message, StringComparison.Ordinal);
        Assert.Contains("finite number", e.Message, StringComparison.Ordinal);
        Assert.Matches(OneLine, e.Message);
    }

    [Fact]
    public void An_unknown_key_is_refused_with_line_and_column() =>
        Assert.Matches(@"line \d+:3, key loop\.spin_tail: unknown key 'spin_tail'", RejectConfig(Edit("  spin_tail_us: 0", "  spin_tail: 0")).Message);

    // ---- path keys ----

    public static TheoryData<string, string, string> BadPaths => new()
    {
        { "description: biped12.urdf", "description: \"biped12\\0.urdf\"", "robot.description" },
        { "description: biped12.urdf", "description: " + new string('a', 5000), "robot.description" },
        { "description: biped12.urdf", "description: " + new string('a', 300) + ".urdf", "robot.description" },
        { "description: biped12.urdf", "description: ../biped12", "robot.description" },
        { "parameters: biped12.twin.yaml", "parameters: \"twin\\0.yaml\"", "twin.parameters" },
        { "parameters: biped12.twin.yaml", "parameters: .", "twin.parameters" },
        { "parameters: biped12.twin.yaml", "parameters: missing.twin.yaml", "twin.parameters" },
    };

    [Theory]
    [MemberData(nameof(BadPaths))]
    public void A_bad_path_is_refused_naming_its_key(string oldText, string newText, string key)
    {
        var e = RejectConfig(Edit(oldText, newText));
        Assert.Matches($@"line \d+:\d+, key {Regex.Escape(key)}: ", e.Message);
        Assert.Matches("NUL|characters long|byte name|is a folder|does not exist", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_state_file_must_not_be_a_folder_and_its_folder_must_exist()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"rt-paths-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            var e = RejectConfig(Edit("  log_path: rt-safety.log", $"  log_path: {dir}"));
            Assert.Contains("key safety.log_path: ", e.Message, StringComparison.Ordinal);
            Assert.Contains("is a folder", e.Message, StringComparison.Ordinal);

            e = RejectConfig(Edit("  log_path: rt-safety.log", $"  log_path: {dir}/missing/rt-safety.log"));
            Assert.Contains("does not exist; expected an existing folder", e.Message, StringComparison.Ordinal);

            // A relative state path resolves at run time against the state folder: only its form is checked now.
            Assert.Equal("logs/rt-safety.log", ConfigLoader.Parse(Edit("  log_path: rt-safety.log", "  log_path: logs/rt-safety.log"), RepoPaths.Biped12Config).Safety.LogPath);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_NUL_in_any_text_value_is_refused() =>
        Assert.Contains("contains a NUL character", RejectConfig(Edit("name: biped12", "name: \"bi\\0ped\"")).Message, StringComparison.Ordinal);

    // ---- bounds: every safety- or resource-relevant number outside safety: ----

    public static TheoryData<string, string, string, string> OutOfBounds => new()
    {
        { "  plant_substeps: 2", "  plant_substeps: 100000000", "loop.plant_substeps", "[1, 1000]" },
        { "  rate_hz: 1000", "  rate_hz: 0.001", "loop.rate_hz", "[1, 10000] Hz" },
        { "  overrun_fault_after: 3", "  overrun_fault_after: 2000000000", "loop.overrun_fault_after", "[1, 1000]" },
        { "  overrun_fault_after: 3", "  no_gc_region_mb: 1000000\n  overrun_fault_after: 3", "loop.no_gc_region_mb", "[-1, 16384] MiB" },
        { "    gear_ratio: 80", "    gear_ratio: 1e308", "joints[0].gear_ratio", "(0, 10000]" },
        { "    rated_torque_nm: 0.25", "    rated_torque_nm: 1e9", "joints[0].rated_torque_nm", "(0, 1000] N·m" },
        { "    encoder_counts_per_rev: 131072", "    encoder_counts_per_rev: 1099511627776", "joints[0].encoder_counts_per_rev", "[4, 2147483648]" },
        { "  hip_pitch_rad: 0.5", "  hip_pitch_rad: 1e308", "motion.hip_pitch_rad", "[0, 3.141592653589793] rad" },
        { "position_max_rad: 0.5", "position_max_rad: 1e308", "joints[0].limits.position_max_rad", "[-12.566370614359172, 12.566370614359172] rad" },
        { "velocity_rad_s: 6", "velocity_rad_s: 1e300", "joints[0].limits.velocity_rad_s", "(0, 100] rad/s" },
        { "  frame_loss_budget: 3", "  frame_loss_budget: 1000000", "bus.frame_loss_budget", "[1, 1000]" },
    };

    [Theory]
    [MemberData(nameof(OutOfBounds))]
    public void A_number_out_of_bounds_is_refused_naming_key_value_and_range(string oldText, string newText, string key, string range)
    {
        var e = RejectConfig(Edit(oldText, newText));
        string value = Regex.Match(newText, @":\s*([-0-9.e]+)").Groups[1].Value;
        output.WriteLine(e.Message);
        Assert.Contains($"key {key}: is ", e.Message, StringComparison.Ordinal);
        Assert.Contains(range, e.Message, StringComparison.Ordinal);
        Assert.Contains(YamlInput.Num(double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)), e.Message, StringComparison.Ordinal);
    }

    // ---- the shipped files still load ----

    public static TheoryData<string> ShippedConfigs()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(RepoPaths.Combine("hil", "robots"), "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            // Twin parameters and a robot's own HIL scenarios (robots/<name>/scenarios/) have their own readers and tests.
            if (!f.EndsWith(".twin.yaml", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}scenarios{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                data.Add(Path.GetRelativePath(RepoPaths.Root, f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedConfigs))]
    public void Every_shipped_robot_config_loads(string relativePath) =>
        Assert.NotEmpty(ConfigLoader.Load(Path.Combine(RepoPaths.Root, relativePath)).Joints);

    [Fact]
    public void The_path_keys_are_all_documented()
    {
        string docs = File.ReadAllText(RepoPaths.Combine("docs", "CONFIG.md"), Encoding.UTF8);
        foreach (var (key, _, _, _) in ConfigValidator.PathKeys) Assert.Contains($"`{key}`", docs, StringComparison.Ordinal);
        Assert.Contains("## Bounds", docs, StringComparison.Ordinal);
    }
}
