using System.CommandLine;
using Rt.Core.Config;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Link;
using Rt.Session;

namespace Rt.Host.Commands;

/// <summary>Options and helpers every <c>rt</c> command shares (the bench's commands too). Not real-time safe.</summary>
public static class CommandOptions
{
    public static Option<FileInfo> ConfigOption() => new("--config", "-c")
    {
        Description = "Host configuration (YAML)",
        DefaultValueFactory = _ => new FileInfo(DefaultConfigPath()),
    };

    /// <summary>The sample robot's config, found from the working directory or the binary's location.</summary>
    public static string DefaultConfigPath()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                var p = Path.Combine(d.FullName, "hil", "robots", "biped12", "biped12.yaml");
                if (File.Exists(p)) return p;
            }
        }
        return Path.Combine("hil", "robots", "biped12", "biped12.yaml");
    }

    public static RtConfig LoadConfig(FileInfo file) => ConfigLoader.Load(file.FullName);

    /// <summary>A raw-socket link on <paramref name="name"/>; a refused or missing interface is <see cref="HostUnavailableException"/>.</summary>
    public static IEthernetLink OpenRaw(string name)
    {
        try
        {
            return new RawSocketLink(name);
        }
        catch (EtherCatException e)
        {
            throw new HostUnavailableException($"interface '{name}': {e.Message}", e);
        }
    }
}
