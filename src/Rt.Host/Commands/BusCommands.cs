using System.CommandLine;
using Rt.Drivers.Capture;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Link;
using Rt.Session;

namespace Rt.Host.Commands;

internal static partial class ExtraCommands
{
    private static partial IEnumerable<Command> BusCommands(IBenchCommands? benchCommands)
    {
        yield return Scan(benchCommands);
    }

    /// <summary><c>rt scan</c>: list the bus like a field engineer expects (the bench's binary can also scan its emulated bus).</summary>
    private static Command Scan(IBenchCommands? benchCommands)
    {
        var iface = new Option<string?>("--iface") { Description = "Scan a real interface (raw socket; needs CAP_NET_RAW)" };
        var bench = new Option<bool>("--bench") { Description = "Scan the emulated bench in-process" };
        var config = CommandOptions.ConfigOption();
        var capture = new Option<FileInfo?>("--capture") { Description = "Write every frame of the scan to this pcapng file" };
        var cmd = new Command("scan", "List the EtherCAT bus: position, station address, identity, names from SII, state, PDO mapping, DC") { iface, config, capture };
        if (benchCommands != null) cmd.Add(bench);
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            string? name = r.GetValue(iface);
            bool onBench = benchCommands != null && r.GetValue(bench);
            if (name == null && !onBench)
                throw new Core.Errors.InputError("command line", "rt scan", benchCommands != null ? "say what to scan: --iface <name> or --bench" : "say what to scan: --iface <name>");
            ISessionRig? rig = null;
            IEthernetLink? link = null;
            CapturingLink? cap = null;
            try
            {
                if (name != null)
                {
                    link = CommandOptions.OpenRaw(name);
                }
                else
                {
                    var cfg = CommandOptions.LoadConfig(r.GetValue(config)!);
                    rig = benchCommands!.Factory.Create(cfg, new SessionOptions { Bench = true });
                    link = rig.CreateLink();
                }
                if (r.GetValue(capture) is { } f)
                {
                    long frame = 0;
                    // The capture owns the link from here: disposing it disposes the link (once).
                    link = cap = new CapturingLink(link, PcapngWriter.Create(f.FullName, name ?? "rt-bench"), () => frame++ * 1000);
                    cap.StartBackgroundWriter(); // a scan sends thousands of frames: drain while it runs, not only at the end
                }
                // No slave at all throws EtherCatException (NoSlaves/LinkDown): one line and exit 3 from CommandRunner.
                var report = BusScanner.Scan(link);
                Console.WriteLine(report.ToString());
            }
            finally
            {
                cap?.Drain();
                link?.Dispose();
                if (cap != null) Console.WriteLine($"capture: {r.GetValue(capture)!.FullName} ({cap.Dropped} frames dropped)");
                rig?.Dispose();
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
