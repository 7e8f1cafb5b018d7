using System.CommandLine;
using Rt.Core.Config;
using Rt.Drivers.Capture;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Esi;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Startup;
using Rt.Session;

namespace Rt.Host.Commands;

/// <summary>
/// <c>rt bus up --iface &lt;if&gt; [--esi &lt;dir|file&gt;…] [--duration &lt;s&gt;] [--capture f] [--config f]</c> (and <c>--bench</c> in the
/// bench's binary): every slave to OP or as far as it gets, process data for the duration, a per-slave table and the
/// WKC statistics, then down in order. Exit 0 all in OP; 2 bad input (ESI, config, a bus that contradicts the config);
/// 3 a device problem. Not real-time safe.
/// </summary>
internal static class BusUpCommand
{
    public static Command Create(IBenchCommands? benchCommands)
    {
        var iface = new Option<string?>("--iface") { Description = "The interface the bus is on (raw socket; needs CAP_NET_RAW)" };
        var bench = new Option<bool>("--bench") { Description = "The emulated bench's bus, in-process" };
        var esi = new Option<string[]>("--esi")
        {
            Description = "ESI files (ETG.2000 XML) or folders of them, for names, default PDOs and startup commands",
            AllowMultipleArgumentsPerToken = true,
        };
        var duration = new Option<double>("--duration") { Description = "Seconds of process data in OP", DefaultValueFactory = _ => 1.0 };
        var capture = new Option<FileInfo?>("--capture") { Description = "Write every frame to this pcapng file" };
        var config = CommandOptions.ConfigOption();
        config.Description = "A robot config whose bus section (identities, startup, pdo, esi) and roles apply (with --bench: also the robot the bench emulates)";
        var up = new Command("up", "Bring any EtherCAT bus to OP (or as far as each slave gets), exchange process data, print a per-slave table, take it down") { iface, esi, duration, capture, config };
        if (benchCommands != null) up.Add(bench);
        up.SetAction(r => CommandRunner.Guard(() =>
        {
            string? name = r.GetValue(iface);
            bool onBench = benchCommands != null && r.GetValue(bench);
            if ((name == null) == !onBench)
                throw new Core.Errors.InputError("command line", "rt bus up", benchCommands != null ? "say which bus: --iface <name> or --bench" : "say which bus: --iface <name>");
            bool configGiven = r.GetResult(config) is { Implicit: false };
            RtConfig? cfg = onBench || configGiven ? CommandOptions.LoadConfig(r.GetValue(config)!) : null;
            var paths = new List<string>();
            if (cfg != null) foreach (var p in cfg.Bus.Esi) paths.Add(cfg.Resolve(p));
            paths.AddRange(r.GetValue(esi) ?? []);
            var library = paths.Count > 0 ? EsiReader.Load(paths) : EsiLibrary.Empty; // malformed ESI: InputError, exit 2, before the bus is touched

            ISessionRig? rig = null;
            IEthernetLink? link = null;
            CapturingLink? cap = null;
            try
            {
                if (name != null) link = CommandOptions.OpenRaw(name);
                else
                {
                    rig = benchCommands!.Factory.Create(cfg!, new SessionOptions { Bench = true });
                    link = rig.CreateLink();
                }
                if (r.GetValue(capture) is { } f)
                {
                    long frame = 0;
                    link = cap = new CapturingLink(link, PcapngWriter.Create(f.FullName, name ?? "rt-bench"), () => frame++ * 1000);
                    cap.StartBackgroundWriter();
                }
                long cycleNs = cfg is { Loop.RateHz: > 0 } ? (long)Math.Round(1e9 / cfg.Loop.RateHz) : 1_000_000;
                var report = BusUp.Run(link, new BusUpOptions
                {
                    Esi = library,
                    Config = cfg,
                    DurationNs = (long)(r.GetValue(duration) * 1e9),
                    CycleNs = cycleNs,
                    MasterTimeNs = (DateTime.UtcNow - new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc)).Ticks * 100,
                }, cfg != null ? MasterOptions.FromConfig(cfg) : null);
                Console.Write(report.ToString());
                if (report.Error != null)
                {
                    Console.Error.WriteLine($"error: EtherCAT: {report.Error} (bus left in INIT)");
                    if (report.ExitCode == ExitCodes.BadInput) Console.Error.WriteLine("refusing to enable motion.");
                }
                return report.ExitCode;
            }
            finally
            {
                cap?.Drain();
                link?.Dispose();
                if (cap != null) Console.WriteLine($"capture: {r.GetValue(capture)!.FullName} ({cap.Dropped} frames dropped)");
                rig?.Dispose();
            }
        }));
        return new Command("bus", "EtherCAT bus commands") { up };
    }
}
