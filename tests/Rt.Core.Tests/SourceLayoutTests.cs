using System.Text.RegularExpressions;
using System.Xml.Linq;
using Rt.TestSupport;

namespace Rt.Core.Tests;

/// <summary>
/// Repository conventions every project shares (so they are checked here, with the base project): a type's namespace
/// says where its file is. Reads the source tree, not the assemblies, so a misplaced file is named by its path.
/// </summary>
public sealed partial class SourceLayoutTests
{
    /// <summary>
    /// Known mismatches waiting for the rename pass (kept out of it while those files were being edited elsewhere).
    /// Remove a line when its file is fixed; when the list is empty the test runs to a plain pass.
    /// </summary>
    private static readonly HashSet<string> Pending = new(StringComparer.Ordinal)
    {
    };

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [SkippableFact]
    public void Every_source_file_under_src_and_hil_declares_its_project_namespace_plus_its_folder_path()
    {
        var mismatches = Mismatches();
        Assert.NotEmpty(Projects()); // the walk found the projects: an empty tree must not pass

        var unexpected = mismatches.Where(m => !Pending.Contains(m.Path)).Select(m => m.ToString()).ToList();
        Assert.True(unexpected.Count == 0, "namespace does not match the folder:\n" + string.Join('\n', unexpected));

        var pending = mismatches.Where(m => Pending.Contains(m.Path)).Select(m => m.ToString()).ToList();
        Skip.If(pending.Count > 0, $"namespace pass pending ({pending.Count} files):\n" + string.Join('\n', pending));
    }

    [Fact]
    public void The_expected_namespace_is_the_root_namespace_and_the_folders_joined_by_dots()
    {
        Assert.Equal("Rt.Drivers.EtherCat.Frame", Expected("Rt.Drivers", Path.Combine("EtherCat", "Frame")));
        Assert.Equal("Rt.Safety", Expected("Rt.Safety", ""));
    }

    private sealed record Mismatch(string Path, string Declared, string Expected)
    {
        public override string ToString() => $"{Path}: namespace {Declared}, expected {Expected}";
    }

    private static string Expected(string rootNamespace, string relativeFolder) =>
        relativeFolder.Length == 0 ? rootNamespace : rootNamespace + "." + relativeFolder.Replace(Path.DirectorySeparatorChar, '.');

    /// <summary>Every project under src/ and hil/: its folder and its root namespace (RootNamespace, else the project name).</summary>
    private static List<(string Dir, string RootNamespace)> Projects()
    {
        var projects = new List<(string, string)>();
        foreach (var top in new[] { "src", "hil" })
        {
            var dir = RepoPaths.Combine(top);
            if (!Directory.Exists(dir)) continue;
            foreach (var csproj in Directory.GetFiles(dir, "*.csproj", SearchOption.AllDirectories))
            {
                var root = XDocument.Load(csproj).Descendants("RootNamespace").Select(e => e.Value.Trim()).FirstOrDefault();
                projects.Add((Path.GetDirectoryName(csproj)!, string.IsNullOrEmpty(root) ? Path.GetFileNameWithoutExtension(csproj) : root));
            }
        }
        return projects;
    }

    private static string? OwningProject(string file, HashSet<string> projectDirs)
    {
        for (var d = Path.GetDirectoryName(file); d is not null; d = Path.GetDirectoryName(d))
        {
            if (projectDirs.Contains(d)) return d;
        }
        return null;
    }

    private static List<Mismatch> Mismatches()
    {
        var result = new List<Mismatch>();
        var projects = Projects();
        var projectDirs = projects.Select(p => p.Dir).ToHashSet(StringComparer.Ordinal);
        foreach (var (dir, rootNamespace) in projects)
        {
            foreach (var file in Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (OwningProject(file, projectDirs) != dir) continue; // a nested project's file is checked against that project
                var relativeFolder = Path.GetRelativePath(dir, Path.GetDirectoryName(file)!);
                if (relativeFolder == ".") relativeFolder = "";
                var first = relativeFolder.Split(Path.DirectorySeparatorChar)[0];
                if (first is "obj" or "bin") continue;

                var expected = Expected(rootNamespace, relativeFolder);
                var declared = NamespaceDeclaration().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value).Distinct().ToList();
                if (declared.Count == 1 && declared[0] == expected) continue;
                var path = Path.GetRelativePath(RepoPaths.Root, file).Replace(Path.DirectorySeparatorChar, '/');
                result.Add(new Mismatch(path, declared.Count == 0 ? "(none)" : string.Join(", ", declared), expected));
            }
        }
        return result;
    }
}
