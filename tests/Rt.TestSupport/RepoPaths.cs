namespace Rt.TestSupport;

/// <summary>
/// Locations inside the repository for tests: found by walking up from the test binary to the folder holding Rt.sln,
/// so tests work from any output folder. Not real-time safe (file system).
/// </summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>The repository root (the folder that holds Rt.sln).</summary>
    public static string Root => RootLazy.Value;

    /// <summary>The sample robot's folder: hil/robots/biped12.</summary>
    public static string Biped12Dir => Path.Combine(Root, "hil", "robots", "biped12");

    /// <summary>hil/robots/biped12/biped12.yaml: the complete host configuration for the sample robot.</summary>
    public static string Biped12Config => Path.Combine(Biped12Dir, "biped12.yaml");

    /// <summary>hil/robots/biped12/biped12.urdf: the sample robot's description.</summary>
    public static string Biped12Urdf => Path.Combine(Biped12Dir, "biped12.urdf");

    /// <summary>biped12's calibrated twin parameters (noise model included).</summary>
    public static string Biped12TwinParameters => Path.Combine(Biped12Dir, "biped12.twin.yaml");

    /// <summary>
    /// Copies the sample robot's folder (config, URDF, twin parameters, motions and its <c>esi/</c> folder, which the
    /// bench builds its slaves from) into <paramref name="target"/>, so a test can edit the config beside real files.
    /// </summary>
    public static void CopyBiped12To(string target)
    {
        foreach (var f in Directory.GetFiles(Biped12Dir, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(target, Path.GetRelativePath(Biped12Dir, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(f, to);
        }
    }

    /// <summary>A path relative to the repository root, e.g. <c>RepoPaths.Combine("docs", "CONFIG.md")</c>.</summary>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rt.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException(
            $"no Rt.sln found in '{AppContext.BaseDirectory}' or any parent folder; tests must run from inside the repository");
    }
}
