using Rt.TestSupport;
using Xunit.Abstractions;

namespace Rt.Fuzz.Tests;

/// <summary>
/// Every input that ever crashed a fuzz target is kept as tests/Rt.Fuzz/regressions/TARGET/NAME.bin (the name says
/// what it found) and must now be handled: accepted, or rejected with the reader's documented error. The code-made
/// seeds of every target run too, so a target that breaks on well-formed input fails here before anyone fuzzes.
/// </summary>
public sealed class RegressionCorpusTests(ITestOutputHelper output)
{
    private static string RegressionRoot => RepoPaths.Combine("tests", "Rt.Fuzz", "regressions");

    public static TheoryData<string, string> Regressions()
    {
        var data = new TheoryData<string, string>();
        foreach (var dir in Directory.GetDirectories(RegressionRoot).Order(StringComparer.Ordinal))
            foreach (var file in Directory.GetFiles(dir, "*.bin").Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(dir), Path.GetFileName(file));
        return data;
    }

    /// <summary>tests/Rt.Fuzz/regressions/unfixed.txt: inputs whose fix belongs to another owner and has not landed (TARGET/FILE — owner — what).</summary>
    private static Dictionary<string, string> Unfixed()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        string path = Path.Combine(RegressionRoot, "unfixed.txt");
        if (!File.Exists(path)) return map;
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int dash = line.IndexOf(" — ", StringComparison.Ordinal);
            map[dash < 0 ? line.Trim() : line[..dash].Trim()] = dash < 0 ? "" : line[(dash + 3)..];
        }
        return map;
    }

    [SkippableTheory]
    [MemberData(nameof(Regressions))]
    public void Kept_crash_input_is_handled_without_an_undocumented_exception(string target, string file)
    {
        // A stack overflow cannot be caught: running a known, unfixed one would take the whole test host down.
        Skip.If(Unfixed().TryGetValue($"{target}/{file}", out var why), $"known crash, fix not landed: {why}");
        var t = FuzzTargets.Find(target);
        Assert.NotNull(t);
        byte[] input = File.ReadAllBytes(Path.Combine(RegressionRoot, target, file));
        var rejection = t.Rejection(input); // throws (fails the test) on anything undocumented
        output.WriteLine(rejection is null ? $"{target}/{file}: accepted" : $"{target}/{file}: rejected: {rejection.Message}");
    }

    [Fact]
    public void Every_regression_folder_names_a_target_and_every_unfixed_entry_a_kept_file()
    {
        foreach (var dir in Directory.GetDirectories(RegressionRoot))
            Assert.True(FuzzTargets.Find(Path.GetFileName(dir)) is not null, $"{dir} names no fuzz target");
        foreach (var entry in Unfixed().Keys)
            Assert.True(File.Exists(Path.Combine(RegressionRoot, entry)), $"unfixed.txt lists {entry}, which is not kept");
    }

    public static TheoryData<string> Targets()
    {
        var data = new TheoryData<string>();
        foreach (var t in FuzzTargets.All) data.Add(t.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Seeds_run_without_an_undocumented_exception(string target)
    {
        var t = FuzzTargets.Find(target)!;
        int accepted = 0, seeds = 0;
        foreach (var (name, bytes) in t.Seeds())
        {
            seeds++;
            var rejection = t.Rejection(bytes);
            if (rejection is null) accepted++;
            output.WriteLine($"{name}: {(rejection is null ? "accepted" : "rejected: " + rejection.Message)}");
        }
        Assert.True(seeds > 0, $"target {target} has no seeds");
        // Most seeds are well-formed inputs meant to reach deep: if none is accepted the target tests only rejection.
        Assert.True(accepted > 0, $"no seed of {target} is accepted");
    }

    [Fact]
    public void An_undocumented_exception_escapes_a_target()
    {
        // The oracle itself: an exception the target does not document escapes; a documented one is the rejection.
        var t = new FuzzTarget("probe", "probe", _ => throw new IndexOutOfRangeException(), [typeof(InvalidOperationException)], () => []);
        Assert.Throws<IndexOutOfRangeException>(() => t.Run([1, 2, 3]));
        var documented = new FuzzTarget("probe", "probe", _ => throw new InvalidOperationException("bad"), [typeof(InvalidOperationException)], () => []);
        Assert.IsType<InvalidOperationException>(documented.Rejection([1]));
    }
}
