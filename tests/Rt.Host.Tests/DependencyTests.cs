using System.Xml.Linq;
using Rt.TestSupport;

namespace Rt.Host.Tests;

/// <summary>
/// The dependency direction, read from the project files: the product (src/) never references the bench (hil/), and
/// the robot's binary (src/Rt.Robot) reaches nothing of hil/ or bench/ through any chain of references.
/// </summary>
public class DependencyTests
{
    private static string Rel(string path) => Path.GetRelativePath(RepoPaths.Root, path).Replace('\\', '/');

    private static IEnumerable<string> References(string csproj) =>
        XDocument.Load(csproj).Descendants()
            .Where(e => e.Name.LocalName == "ProjectReference")
            .Select(e => e.Attribute("Include")?.Value ?? "")
            .Select(inc => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(csproj)!, inc.Replace('\\', '/'))));

    [Fact]
    public void Nothing_under_src_references_hil_or_bench()
    {
        var projects = Directory.GetFiles(Path.Combine(RepoPaths.Root, "src"), "*.csproj", SearchOption.AllDirectories);
        Assert.True(projects.Length >= 9, $"expected the product projects under src/, found {projects.Length}");
        var wrong = projects
            .SelectMany(p => References(p).Select(r => (From: Rel(p), To: Rel(r))))
            .Where(x => !x.To.StartsWith("src/", StringComparison.Ordinal))
            .Select(x => $"{x.From} -> {x.To}")
            .ToList();
        Assert.Empty(wrong);
    }

    [Fact]
    public void The_robot_binary_closure_holds_nothing_of_the_bench()
    {
        var robot = Path.Combine(RepoPaths.Root, "src", "Rt.Robot", "Rt.Robot.csproj");
        var seen = new HashSet<string>();
        var todo = new Stack<string>([robot]);
        while (todo.Count > 0)
        {
            var p = todo.Pop();
            if (!seen.Add(p)) continue;
            Assert.True(File.Exists(p), $"{Rel(p)} is referenced but does not exist");
            foreach (var r in References(p)) todo.Push(r);
        }
        var closure = seen.Select(Rel).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("src/Rt.Session/Rt.Session.csproj", closure);
        Assert.Contains("src/Rt.Host/Rt.Host.csproj", closure);
        Assert.All(closure, p => Assert.StartsWith("src/", p, StringComparison.Ordinal));
        // The MuJoCo shim is copied by hil/Rt.Hil's build; nothing in the closure may carry it.
        Assert.All(seen, p => Assert.DoesNotContain("librtmujoco", File.ReadAllText(p), StringComparison.Ordinal));
    }
}
