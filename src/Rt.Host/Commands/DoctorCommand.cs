using System.CommandLine;
using Rt.Session;
using Rt.Host.Doctor;

namespace Rt.Host.Commands;

/// <summary><c>rt doctor</c>: is this machine fit to run the tick in real time, and what to change if not.</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "Host configuration: takes loop.cpu, loop.priority, loop.rate_hz, loop.spin_tail_us and bus.interface from it" };
        var iface = new Option<string?>("--iface") { Description = "EtherCAT network interface to check (IRQ affinity, coalescing, offloads); overrides bus.interface" };
        var cpu = new Option<int?>("--cpu") { Description = "The tick's CPU (overrides loop.cpu)" };
        var json = new Option<bool>("--json") { Description = "Print the findings as JSON (for scripts)" };
        var cmd = new Command("doctor", "Check this machine for real-time use (kernel, CPU isolation, frequency and idle states, NIC, limits, capabilities, clocksource) and print what to change. Exit 0: fit; 4: not fit; 3: the interface does not exist") { config, iface, cpu, json };
        cmd.SetAction(r => CommandRunner.Guard(() =>
        {
            var cfg = r.GetValue(config) is { } f ? CommandOptions.LoadConfig(f) : null;
            string? nic = r.GetValue(iface) ?? (string.IsNullOrEmpty(cfg?.Bus.Interface) ? null : cfg!.Bus.Interface);
            var target = new DoctorTarget(nic, r.GetValue(cpu) ?? cfg?.Loop.Cpu ?? -1, cfg?.Loop.Priority ?? 80, cfg?.Loop.RateHz ?? 1000, cfg?.Loop.SpinTailUs ?? 0);
            var machine = new MachineFacts();
            if (nic != null && !machine.Exists($"/sys/class/net/{nic}"))
                throw new HostUnavailableException($"network interface '{nic}' does not exist (ip link lists the interfaces)");
            var checks = DoctorChecks.Run(machine, target);
            if (r.GetValue(json)) Console.WriteLine(DoctorReport.Json(checks));
            else DoctorReport.WriteText(Console.Out, checks);
            return DoctorChecks.Fit(checks) ? ExitCodes.Ok : ExitCodes.RealtimeRefused;
        }));
        return cmd;
    }
}
