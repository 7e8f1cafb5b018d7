using Rt.Host.Doctor;
using Xunit;

namespace Rt.Host.Tests.Doctor;

/// <summary>
/// The doctor's checks read /proc and /sys; here they read folders laid out like those of a tuned robot computer and
/// of an untuned one, and once the real machine.
/// </summary>
public sealed class DoctorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rt-doctor-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Put(string path, string text)
    {
        string full = Path.Combine(_root, path.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text + "\n");
    }

    private sealed class FakeMachine(string root, ulong memlock, ulong rtprio, string? coalesce, string? offloads) : MachineFacts(root)
    {
        public override (ulong Soft, ulong Hard)? Limit(LimitKind kind) => kind == LimitKind.MemLock ? (memlock, memlock) : (rtprio, rtprio);
        public override string? Ethtool(string flag, string iface) => flag == "-c" ? coalesce : offloads;
    }

    private void Tuned()
    {
        Put("/proc/version", "Linux version 6.1.0-rt-amd64 #1 SMP PREEMPT_RT Debian 6.1.115-1");
        Put("/sys/kernel/realtime", "1");
        Put("/sys/devices/system/cpu/isolated", "1");
        Put("/sys/devices/system/cpu/nohz_full", "1");
        foreach (var cpu in new[] { "cpu0", "cpu1" })
        {
            Put($"/sys/devices/system/cpu/{cpu}/cpufreq/scaling_governor", "performance");
            Put($"/sys/devices/system/cpu/{cpu}/cpuidle/state0/name", "POLL");
            Put($"/sys/devices/system/cpu/{cpu}/cpuidle/state0/latency", "0");
            Put($"/sys/devices/system/cpu/{cpu}/cpuidle/state0/disable", "0");
            Put($"/sys/devices/system/cpu/{cpu}/cpuidle/state1/name", "C6");
            Put($"/sys/devices/system/cpu/{cpu}/cpuidle/state1/latency", "133");
            Put($"/sys/devices/system/cpu/{cpu}/cpuidle/state1/disable", "1");
        }
        Put("/sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc");
        Put("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority");
        Put("/sys/kernel/mm/transparent_hugepage/enabled", "always madvise [never]");
        Put("/proc/sys/kernel/sched_rt_runtime_us", "-1");
        // CAP_NET_RAW (13), CAP_IPC_LOCK (14), CAP_SYS_NICE (23) only: 0x806000.
        Put("/proc/self/status", "Name:\trt\nCapEff:\t0000000000806000");
        Put("/sys/class/net/enp2s0/device/msi_irqs/128", "msix");
        Put("/proc/irq/128/smp_affinity_list", "1");
        Put("/proc/1/comm", "systemd");
    }

    private const string CoalesceOff = "Coalesce parameters for enp2s0:\nAdaptive RX: off  TX: off\nrx-usecs: 0\nrx-frames: 1\n";
    private const string OffloadsOff = "Features for enp2s0:\ngeneric-receive-offload: off\nlarge-receive-offload: off [fixed]\n";

    [Fact]
    public void A_tuned_robot_computer_is_fit_with_nothing_to_change()
    {
        Tuned();
        var checks = DoctorChecks.Run(new FakeMachine(_root, ulong.MaxValue, 95, CoalesceOff, OffloadsOff), new DoctorTarget("enp2s0", 1, 80, 1000, 0));
        Assert.All(checks, c => Assert.True(c.Status == CheckStatus.Ok, $"{c.Id}: {c.Status} {c.Found}"));
        Assert.True(DoctorChecks.Fit(checks));
    }

    [Fact]
    public void An_untuned_machine_is_unfit_and_each_finding_names_its_fix()
    {
        Tuned();
        Put("/proc/version", "Linux version 6.1.0-27-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1");
        File.Delete(Path.Combine(_root, "sys/kernel/realtime"));
        Put("/sys/devices/system/cpu/isolated", "");
        Put("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave");
        Put("/sys/devices/system/cpu/cpu1/cpuidle/state1/disable", "0");
        Put("/sys/devices/system/clocksource/clocksource0/current_clocksource", "hpet");
        Put("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1048572 0 -2");
        Put("/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never");
        Put("/proc/self/status", "Name:\trt\nCapEff:\t0000000000000000");
        Put("/proc/irq/128/smp_affinity_list", "0-1");
        Put("/proc/77/comm", "irqbalance");
        var checks = DoctorChecks.Run(
            new FakeMachine(_root, 8 << 20, 0, "rx-usecs: 50\nrx-frames: 0\n", "generic-receive-offload: on\n"),
            new DoctorTarget("enp2s0", 1, 80, 1000, 0));
        var byId = checks.ToDictionary(c => c.Id);
        Assert.False(DoctorChecks.Fit(checks));
        Assert.Equal(CheckStatus.Fail, byId["kernel.preempt"].Status);
        Assert.Contains("PREEMPT_DYNAMIC", byId["kernel.preempt"].Found);
        foreach (var id in new[] { "caps.cap_net_raw", "caps.cap_sys_nice", "caps.cap_ipc_lock", "limits.memlock", "limits.rtprio" })
            Assert.Equal(CheckStatus.Fail, byId[id].Status);
        foreach (var id in new[] { "cpu.isolation", "cpu.governor", "cpu.idle", "clocksource", "memory.swap", "memory.thp", "irq.balance", "nic.irq", "nic.coalescing", "nic.offloads" })
            Assert.Equal(CheckStatus.Warn, byId[id].Status);
        Assert.All(checks.Where(c => c.Status is CheckStatus.Fail or CheckStatus.Warn), c => Assert.False(string.IsNullOrEmpty(c.Fix), c.Id));
        Assert.Contains("LimitMEMLOCK=infinity", byId["limits.memlock"].Fix);
        Assert.Contains("C6 (133 µs)", byId["cpu.idle"].Found);
    }

    [Fact]
    public void Capabilities_stand_in_for_the_limits_they_override()
    {
        Tuned();
        var checks = DoctorChecks.Run(new FakeMachine(_root, 64 << 10, 0, CoalesceOff, OffloadsOff), new DoctorTarget(null, 1, 80, 1000, 0)).ToDictionary(c => c.Id);
        Assert.Equal(CheckStatus.Ok, checks["limits.memlock"].Status);
        Assert.Equal(CheckStatus.Ok, checks["limits.rtprio"].Status);
        Assert.False(checks.ContainsKey("nic.irq"));
    }

    [Theory]
    [InlineData("", new int[0])]
    [InlineData("3", new[] { 3 })]
    [InlineData("1-3,6", new[] { 1, 2, 3, 6 })]
    [InlineData("x,2", new[] { 2 })]
    public void Kernel_cpu_lists_parse(string text, int[] expected) => Assert.Equal(expected, DoctorChecks.CpuList(text));

    [Fact]
    public void On_this_machine_the_json_report_matches_the_kernel_and_limits_it_reads()
    {
        var checks = DoctorChecks.Run(new MachineFacts(), new DoctorTarget("lo", -1, 80, 1000, 0));
        using var doc = System.Text.Json.JsonDocument.Parse(DoctorReport.Json(checks));
        Assert.Equal(DoctorChecks.Fit(checks), doc.RootElement.GetProperty("fit").GetBoolean());
        var ids = doc.RootElement.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();
        Assert.Contains("kernel.preempt", ids);
        Assert.Contains("limits.memlock", ids);
        bool rtKernel = File.Exists("/sys/kernel/realtime") && File.ReadAllText("/sys/kernel/realtime").Trim() == "1";
        var preempt = checks.Single(c => c.Id == "kernel.preempt");
        Assert.Equal(rtKernel ? CheckStatus.Ok : CheckStatus.Fail, preempt.Status);
    }
}
