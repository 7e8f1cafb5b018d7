using System.Globalization;

namespace Rt.Host.Doctor;

public enum CheckStatus
{
    Ok,
    Warn,
    Fail,
    Unknown,
}

/// <summary>One finding: what was found, why it matters for the tick, and what to change.</summary>
public sealed record DoctorCheck(string Id, string Title, CheckStatus Status, string Found, string Why, string? Fix);

/// <summary>What the doctor is asked about: the tick's CPU and priority, the EtherCAT interface.</summary>
public sealed record DoctorTarget(string? Interface, int Cpu, int Priority, double RateHz, double SpinTailUs);

/// <summary>
/// The checks of <c>rt doctor</c>: each reads machine facts and says ok, warn (works, but costs latency) or fail (the
/// host cannot keep a deadline or will be refused a privilege), with the change to make. Not real-time safe.
/// </summary>
public static class DoctorChecks
{
    // Linux capability numbers (linux/capability.h).
    private const int CapNetRaw = 13;
    private const int CapIpcLock = 14;
    private const int CapSysNice = 23;

    public static IReadOnlyList<DoctorCheck> Run(MachineFacts m, DoctorTarget t)
    {
        var caps = Capabilities(m);
        var checks = new List<DoctorCheck>
        {
            Preemption(m),
            Isolation(m, t),
            Governor(m),
            IdleStates(m, t),
            Clocksource(m),
            Swap(m),
            TransparentHugePages(m),
            RtThrottling(m, t),
            Capability(caps, CapNetRaw, "CAP_NET_RAW", "opens the raw AF_PACKET socket the EtherCAT master sends its frames through"),
            Capability(caps, CapSysNice, "CAP_SYS_NICE", "lets the tick thread take SCHED_FIFO and pin itself to its CPU"),
            Capability(caps, CapIpcLock, "CAP_IPC_LOCK", "lets the host mlockall its memory so no page fault lands in a tick"),
            MemlockLimit(m, caps),
            RtprioLimit(m, caps, t),
            IrqBalance(m),
        };
        if (!string.IsNullOrEmpty(t.Interface))
        {
            checks.Add(NicIrqs(m, t));
            checks.Add(NicCoalescing(m, t.Interface));
            checks.Add(NicOffloads(m, t.Interface));
        }
        return checks;
    }

    public static bool Fit(IReadOnlyList<DoctorCheck> checks) => checks.All(c => c.Status != CheckStatus.Fail);

    private static DoctorCheck Preemption(MachineFacts m)
    {
        const string why = "only a fully preemptible kernel bounds how long the tick thread waits behind the kernel (tens of µs instead of ms)";
        string version = m.Read("/proc/version") ?? "";
        bool rt = m.Read("/sys/kernel/realtime") == "1" || version.Contains("PREEMPT_RT", StringComparison.Ordinal);
        if (rt) return new("kernel.preempt", "kernel preemption model", CheckStatus.Ok, "PREEMPT_RT", why, null);
        string model = version.Contains("PREEMPT_DYNAMIC", StringComparison.Ordinal) ? "PREEMPT_DYNAMIC (not RT)"
            : version.Contains("PREEMPT", StringComparison.Ordinal) ? "PREEMPT (low-latency desktop, not RT)"
            : "no forced preemption (server kernel)";
        return new("kernel.preempt", "kernel preemption model", CheckStatus.Fail, model, why,
            "install and boot a PREEMPT_RT kernel (Debian: apt install linux-image-rt-amd64, or -rt-arm64)");
    }

    private static DoctorCheck Isolation(MachineFacts m, DoctorTarget t)
    {
        const string why = "an isolated, tickless CPU keeps the scheduler, timers and RCU callbacks of other work off the tick's core";
        var isolated = CpuList(m.Read("/sys/devices/system/cpu/isolated"));
        var nohz = CpuList(m.Read("/sys/devices/system/cpu/nohz_full"));
        string found = $"isolated: {Show(isolated)}; nohz_full: {Show(nohz)}; loop.cpu: {(t.Cpu >= 0 ? t.Cpu.ToString(CultureInfo.InvariantCulture) : "not set")}";
        int cpu = t.Cpu >= 0 ? t.Cpu : isolated.Count > 0 ? isolated[0] : 1;
        string fix = $"boot with isolcpus=domain,managed_irq,{cpu} nohz_full={cpu} rcu_nocbs={cpu} and set loop.cpu: {cpu}";
        if (t.Cpu < 0) return new("cpu.isolation", "isolated CPU for the tick", CheckStatus.Warn, found, why, fix);
        bool ok = isolated.Contains(t.Cpu) && nohz.Contains(t.Cpu);
        return new("cpu.isolation", "isolated CPU for the tick", ok ? CheckStatus.Ok : CheckStatus.Warn, found, why, ok ? null : fix);
    }

    private static DoctorCheck Governor(MachineFacts m)
    {
        const string why = "frequency changes stretch the tick's compute time and add wake-up latency while the core clocks up";
        var governors = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var cpu in Cpus(m))
        {
            var g = m.Read($"/sys/devices/system/cpu/{cpu}/cpufreq/scaling_governor");
            if (g != null) governors.Add(g);
        }
        if (governors.Count == 0)
            return new("cpu.governor", "CPU frequency governor", CheckStatus.Ok, "no cpufreq driver (fixed frequency, or a VM)", why, null);
        bool ok = governors.Count == 1 && governors.Min == "performance";
        return new("cpu.governor", "CPU frequency governor", ok ? CheckStatus.Ok : CheckStatus.Warn, string.Join(", ", governors), why,
            ok ? null : "cpupower frequency-set -g performance (and keep it at boot, e.g. cpufrequtils GOVERNOR=performance)");
    }

    private static DoctorCheck IdleStates(MachineFacts m, DoctorTarget t)
    {
        const string why = "leaving a deep idle state takes its exit latency on every wake-up of the tick";
        // A state whose exit latency is above 1 % of the period (10 µs at 1 kHz) is a visible part of the wake-up.
        double limitUs = Math.Max(1, 0.01 * 1e6 / Math.Max(1, t.RateHz));
        var deep = new SortedSet<string>(StringComparer.Ordinal);
        bool any = false;
        foreach (var cpu in Cpus(m))
        {
            foreach (var state in m.List($"/sys/devices/system/cpu/{cpu}/cpuidle"))
            {
                if (!state.StartsWith("state", StringComparison.Ordinal)) continue;
                any = true;
                string dir = $"/sys/devices/system/cpu/{cpu}/cpuidle/{state}";
                if (m.Read($"{dir}/disable") == "1") continue;
                if (double.TryParse(m.Read($"{dir}/latency"), NumberStyles.Float, CultureInfo.InvariantCulture, out double us) && us > limitUs)
                    deep.Add($"{m.Read($"{dir}/name") ?? state} ({us:0} µs)");
            }
        }
        if (!any) return new("cpu.idle", "CPU idle states", CheckStatus.Ok, "no cpuidle driver", why, null);
        if (deep.Count == 0) return new("cpu.idle", "CPU idle states", CheckStatus.Ok, $"no enabled state with exit latency > {limitUs:0.#} µs", why, null);
        return new("cpu.idle", "CPU idle states", CheckStatus.Warn, "enabled deep states: " + string.Join(", ", deep), why,
            "disable them on the tick's CPU (echo 1 > /sys/devices/system/cpu/cpuN/cpuidle/stateK/disable), or boot with processor.max_cstate=1 intel_idle.max_cstate=1");
    }

    private static DoctorCheck Clocksource(MachineFacts m)
    {
        const string why = "every deadline and time stamp reads the clocksource; the TSC is read in nanoseconds, HPET and ACPI PM take microseconds";
        string? cs = m.Read("/sys/devices/system/clocksource/clocksource0/current_clocksource");
        if (cs == null) return new("clocksource", "clocksource", CheckStatus.Unknown, "not readable", why, null);
        var status = cs is "tsc" or "arch_sys_counter" ? CheckStatus.Ok : CheckStatus.Warn;
        return new("clocksource", "clocksource", status, cs, why,
            status == CheckStatus.Ok ? null : "use the TSC where it is stable (clocksource=tsc tsc=reliable on the kernel command line); kvm-clock is acceptable only in a VM");
    }

    private static DoctorCheck Swap(MachineFacts m)
    {
        const string why = "the host is mlocked, but swapping elsewhere saturates the disk and its interrupts and stalls other services the robot needs";
        var lines = (m.Read("/proc/swaps") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
        return lines.Count == 0
            ? new("memory.swap", "swap", CheckStatus.Ok, "no swap", why, null)
            : new("memory.swap", "swap", CheckStatus.Warn, $"{lines.Count} swap area(s) active", why, "swapoff -a and remove swap from /etc/fstab");
    }

    private static DoctorCheck TransparentHugePages(MachineFacts m)
    {
        const string why = "khugepaged compaction and huge-page faults take milliseconds with locks held";
        string? v = m.Read("/sys/kernel/mm/transparent_hugepage/enabled");
        if (v == null) return new("memory.thp", "transparent huge pages", CheckStatus.Ok, "not built in", why, null);
        bool always = v.Contains("[always]", StringComparison.Ordinal);
        return new("memory.thp", "transparent huge pages", always ? CheckStatus.Warn : CheckStatus.Ok, v, why,
            always ? "echo madvise > /sys/kernel/mm/transparent_hugepage/enabled (or transparent_hugepage=madvise at boot)" : null);
    }

    private static DoctorCheck RtThrottling(MachineFacts m, DoctorTarget t)
    {
        const string why = "the kernel takes the CPU from real-time threads for 50 ms of every second once they use 95 % of it: harmless for a sleeping loop, a stall for a spinning one";
        string? v = m.Read("/proc/sys/kernel/sched_rt_runtime_us");
        if (v == null) return new("sched.rt_throttling", "real-time throttling", CheckStatus.Unknown, "not readable", why, null);
        bool spins = t.SpinTailUs > 0;
        var status = v == "-1" || !spins ? CheckStatus.Ok : CheckStatus.Warn;
        return new("sched.rt_throttling", "real-time throttling", status, v == "-1" ? "off" : $"{v} µs of every {m.Read("/proc/sys/kernel/sched_rt_period_us") ?? "1000000"} µs" + (spins ? $" (loop spins {t.SpinTailUs} µs per tick)" : ""), why,
            status == CheckStatus.Ok ? null : "echo -1 > /proc/sys/kernel/sched_rt_runtime_us (only on an isolated CPU), or drop loop.spin_tail_us");
    }

    private static DoctorCheck Capability(ulong? caps, int bit, string name, string why)
    {
        const string fix = "run as the rt service (AmbientCapabilities=CAP_NET_RAW CAP_SYS_NICE CAP_IPC_LOCK in deploy/rt.service), or setcap cap_net_raw,cap_sys_nice,cap_ipc_lock+ep on the binary";
        if (caps == null) return new($"caps.{name.ToLowerInvariant()}", name, CheckStatus.Unknown, "capabilities not readable", why, null);
        bool has = ((caps.Value >> bit) & 1) != 0;
        return new($"caps.{name.ToLowerInvariant()}", name, has ? CheckStatus.Ok : CheckStatus.Fail, has ? "granted" : "missing", why, has ? null : fix);
    }

    private static DoctorCheck MemlockLimit(MachineFacts m, ulong? caps)
    {
        const string why = "mlockall needs an unlimited memlock limit unless CAP_IPC_LOCK is held";
        var l = m.Limit(LimitKind.MemLock);
        if (l == null) return new("limits.memlock", "memlock limit", CheckStatus.Unknown, "not readable", why, null);
        bool unlimited = l.Value.Soft == ulong.MaxValue;
        bool capped = caps is { } c && ((c >> CapIpcLock) & 1) != 0;
        return new("limits.memlock", "memlock limit", unlimited || capped ? CheckStatus.Ok : CheckStatus.Fail,
            unlimited ? "unlimited" : $"{l.Value.Soft / 1024} KiB" + (capped ? " (CAP_IPC_LOCK overrides it)" : ""), why,
            unlimited || capped ? null : "LimitMEMLOCK=infinity in the unit, or '<user> - memlock unlimited' in /etc/security/limits.d/rt.conf");
    }

    private static DoctorCheck RtprioLimit(MachineFacts m, ulong? caps, DoctorTarget t)
    {
        const string why = "SCHED_FIFO at loop.priority needs an rtprio limit at least that high unless CAP_SYS_NICE is held";
        var l = m.Limit(LimitKind.RtPrio);
        if (l == null) return new("limits.rtprio", "rtprio limit", CheckStatus.Unknown, "not readable", why, null);
        bool enough = l.Value.Soft == ulong.MaxValue || l.Value.Soft >= (ulong)Math.Max(0, t.Priority);
        bool capped = caps is { } c && ((c >> CapSysNice) & 1) != 0;
        string found = (l.Value.Soft == ulong.MaxValue ? "unlimited" : l.Value.Soft.ToString(CultureInfo.InvariantCulture)) + $" (loop.priority {t.Priority})" + (capped && !enough ? "; CAP_SYS_NICE overrides it" : "");
        return new("limits.rtprio", "rtprio limit", enough || capped ? CheckStatus.Ok : CheckStatus.Fail, found, why,
            enough || capped ? null : $"LimitRTPRIO={t.Priority} in the unit, or '<user> - rtprio {t.Priority}' in /etc/security/limits.d/rt.conf");
    }

    private static DoctorCheck IrqBalance(MachineFacts m)
    {
        const string why = "irqbalance moves interrupts, including the EtherCAT NIC's, onto the tick's CPU and back";
        foreach (var pid in m.List("/proc"))
        {
            if (pid.Length == 0 || !char.IsDigit(pid[0])) continue;
            if (m.Read($"/proc/{pid}/comm") == "irqbalance")
                return new("irq.balance", "irqbalance", CheckStatus.Warn, $"running (pid {pid})", why,
                    "systemctl disable --now irqbalance, or IRQBALANCE_BANNED_CPUS with the tick's CPU in /etc/default/irqbalance");
        }
        return new("irq.balance", "irqbalance", CheckStatus.Ok, "not running", why, null);
    }

    private static DoctorCheck NicIrqs(MachineFacts m, DoctorTarget t)
    {
        const string why = "the NIC's receive interrupt should run on the tick's CPU (or its own), never queue behind other devices' work";
        string iface = t.Interface!;
        var irqs = new SortedSet<int>();
        foreach (var irq in m.List($"/sys/class/net/{iface}/device/msi_irqs"))
            if (int.TryParse(irq, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) irqs.Add(n);
        foreach (var line in (m.Read("/proc/interrupts") ?? "").Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0 || !line.Contains(iface, StringComparison.Ordinal)) continue;
            if (int.TryParse(line.AsSpan(0, colon).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) irqs.Add(n);
        }
        if (irqs.Count == 0)
            return new("nic.irq", $"{iface} interrupts", CheckStatus.Ok, "no interrupt of its own (a virtual interface such as veth)", why, null);
        var where = irqs.Select(i => $"{i}→CPU {m.Read($"/proc/irq/{i}/smp_affinity_list") ?? "?"}").ToList();
        bool pinned = t.Cpu >= 0 && irqs.All(i => m.Read($"/proc/irq/{i}/smp_affinity_list") == t.Cpu.ToString(CultureInfo.InvariantCulture));
        return new("nic.irq", $"{iface} interrupts", pinned ? CheckStatus.Ok : CheckStatus.Warn, string.Join(", ", where), why,
            pinned ? null : $"echo {(t.Cpu >= 0 ? t.Cpu : 1)} > /proc/irq/<irq>/smp_affinity_list for each of them, and on PREEMPT_RT raise the irq/<n>-{iface} thread above other interrupts (chrt -f -p 85 <pid>)");
    }

    private static DoctorCheck NicCoalescing(MachineFacts m, string iface)
    {
        const string why = "interrupt coalescing holds the slaves' reply in the NIC for rx-usecs before the host sees it";
        string? c = m.Ethtool("-c", iface);
        if (c == null) return new("nic.coalescing", $"{iface} interrupt coalescing", CheckStatus.Unknown, "ethtool not installed or not supported by the driver", why, "apt install ethtool, then rerun");
        string rx = Field(c, "rx-usecs:") ?? "n/a";
        bool ok = rx is "0" or "n/a";
        return new("nic.coalescing", $"{iface} interrupt coalescing", ok ? CheckStatus.Ok : CheckStatus.Warn, $"rx-usecs {rx}, rx-frames {Field(c, "rx-frames:") ?? "n/a"}", why,
            ok ? null : $"ethtool -C {iface} rx-usecs 0 rx-frames 1 (adaptive-rx off)");
    }

    private static DoctorCheck NicOffloads(MachineFacts m, string iface)
    {
        const string why = "receive offloads (GRO/LRO) batch frames in the kernel: latency for a protocol that sends one frame per tick";
        string? k = m.Ethtool("-k", iface);
        if (k == null) return new("nic.offloads", $"{iface} offloads", CheckStatus.Unknown, "ethtool not installed or not supported by the driver", why, "apt install ethtool, then rerun");
        var on = new List<string>();
        foreach (var name in new[] { "generic-receive-offload", "large-receive-offload", "rx-gro-hw" })
            if ((Field(k, name + ":") ?? "").StartsWith("on", StringComparison.Ordinal)) on.Add(name);
        return new("nic.offloads", $"{iface} offloads", on.Count == 0 ? CheckStatus.Ok : CheckStatus.Warn, on.Count == 0 ? "receive offloads off" : "on: " + string.Join(", ", on), why,
            on.Count == 0 ? null : $"ethtool -K {iface} gro off lro off");
    }

    private static string? Field(string text, string key)
    {
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith(key, StringComparison.Ordinal)) return line[key.Length..].Trim();
        }
        return null;
    }

    private static ulong? Capabilities(MachineFacts m)
    {
        string? hex = Field(m.Read("/proc/self/status") ?? "", "CapEff:");
        return hex != null && ulong.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong v) ? v : null;
    }

    private static IEnumerable<string> Cpus(MachineFacts m) =>
        m.List("/sys/devices/system/cpu").Where(n => n.Length > 3 && n.StartsWith("cpu", StringComparison.Ordinal) && n[3..].All(char.IsDigit));

    /// <summary>Parses a kernel CPU list such as "1-3,5".</summary>
    public static List<int> CpuList(string? text)
    {
        var cpus = new List<int>();
        if (string.IsNullOrWhiteSpace(text)) return cpus;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-');
            if (!int.TryParse(ends[0], NumberStyles.None, CultureInfo.InvariantCulture, out int lo)) continue;
            int hi = lo;
            if (ends.Length == 2 && !int.TryParse(ends[1], NumberStyles.None, CultureInfo.InvariantCulture, out hi)) continue;
            for (int c = lo; c <= hi && c - lo < 4096; c++) cpus.Add(c);
        }
        return cpus;
    }

    private static string Show(List<int> cpus) => cpus.Count == 0 ? "none" : string.Join(",", cpus);
}
