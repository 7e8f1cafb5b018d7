using System.Globalization;
using System.Text;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Time;
using Rt.Drivers.EtherCat.Esi;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Sii;
using Rt.Drivers.EtherCat.SubDevices;

namespace Rt.Drivers.EtherCat.Startup;

/// <summary>Settings of one <see cref="BusUp"/> run.</summary>
public sealed class BusUpOptions
{
    /// <summary>ESI files (may be empty: SII and CoE as the slaves report them).</summary>
    public EsiLibrary Esi { get; init; } = EsiLibrary.Empty;

    /// <summary>A robot config whose bus section (identities, startup, pdo) and roles apply; null for any bus.</summary>
    public RtConfig? Config { get; init; }

    /// <summary>How long process data is exchanged in OP (on the master's clock).</summary>
    public long DurationNs { get; init; } = 1_000_000_000;

    /// <summary>Cycle of the exchange (and SYNC0 with DC).</summary>
    public long CycleNs { get; init; } = 1_000_000;

    /// <summary>Master time for DC offsets (ns since 2000-01-01); injected so bench runs repeat.</summary>
    public long MasterTimeNs { get; init; }
}

/// <summary>One slave's line of the bring-up table.</summary>
public sealed record SlaveUpReport(int Position, SlaveIdentity Identity, string Name, string EsiName, AlStatus Reached, int RxBytes, int TxBytes, string MappingSource, string Dc, string? Error);

/// <summary>What <see cref="BusUp.Run"/> did: per slave the state reached, the exchange statistics, the way down. Not real-time safe.</summary>
public sealed class BusUpReport
{
    public List<SlaveUpReport> Slaves { get; } = [];
    public List<string> Notes { get; } = [];

    /// <summary>The failure that stopped the bring-up (one line), null when every step ran.</summary>
    public string? Error { get; set; }

    /// <summary>0 every slave in OP and every cycle's WKC right; 2 bad input (config, ESI, a bus that contradicts the config); 3 a device problem.</summary>
    public int ExitCode { get; set; }
    /// <summary>Bring-up time on the master's clock (virtual on an in-process link) and on the wall clock.</summary>
    public long BringUpNs { get; set; }
    public long BringUpWallNs { get; set; }
    public long Cycles { get; set; }
    public long WorkingCounterOk { get; set; }
    public long WorkingCounterWrong { get; set; }
    public long LostFrames { get; set; }
    public int ExpectedWorkingCounter { get; set; }
    public long CyclesNotAllOp { get; set; }

    /// <summary>States after the way down (SAFE-OP, then INIT), per position.</summary>
    public List<AlStatus> FinalStates { get; } = [];

    public bool AllOp
    {
        get
        {
            foreach (var s in Slaves) if (s.Reached.State != AlState.Op || s.Reached.Error) return false;
            return Slaves.Count > 0;
        }
    }

    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        foreach (var n in Notes) sb.Append(c, $"note: {n}\n");
        sb.Append(c, $"{"pos",3}  {"vendor",-10} {"product",-10} {"revision",-10}  {"name",-24} {"ESI",-24} {"state",-16} {"Rx B",4} {"Tx B",4}  {"map",-4} DC\n");
        foreach (var s in Slaves)
        {
            string state = s.Reached.State + (s.Reached.Error || s.Reached.Code != 0 ? $" {AlStatusCodes.Describe(s.Reached.Code)}" : "");
            sb.Append(c, $"{s.Position,3}  0x{s.Identity.Vendor:X8} 0x{s.Identity.Product:X8} 0x{s.Identity.Revision:X8}  {Cut(s.Name, 24),-24} {Cut(s.EsiName, 24),-24} {state,-16} {s.RxBytes,4} {s.TxBytes,4}  {s.MappingSource,-4} {s.Dc}\n");
            if (s.Error is not null) sb.Append(c, $"     {s.Error}\n");
        }
        sb.Append(c, $"bring-up: {BringUpNs / 1e6:0.0} ms on the bus clock, {BringUpWallNs / 1e6:0.0} ms wall\n");
        if (Cycles > 0)
            sb.Append(c, $"process data: {Cycles} cycles, WKC {WorkingCounterOk} right / {WorkingCounterWrong} wrong (expected {ExpectedWorkingCounter}), {LostFrames} lost, {CyclesNotAllOp} with a slave not in OP\n");
        if (FinalStates.Count > 0)
        {
            sb.Append("down: ");
            for (int i = 0; i < FinalStates.Count; i++) sb.Append(c, $"{(i > 0 ? ", " : "")}{i}:{FinalStates[i].State}");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static string Cut(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}

/// <summary>
/// <c>rt bus up</c>: takes any bus to OP, or as far as each slave gets, exchanges process data for a while, and takes it
/// down in order (SAFE-OP, then INIT). No robot config needed; with one, its bus section and roles are checked and
/// applied. Outputs stay zero (controlword 0: no drive is enabled). Not real-time safe.
/// </summary>
public static class BusUp
{
    /// <summary>
    /// Runs the bring-up. Throws only when there is no bus to report on (no slave answers, link down); every later
    /// failure is in <see cref="BusUpReport.Error"/> with <see cref="BusUpReport.ExitCode"/>, the bus left in INIT.
    /// </summary>
    public static BusUpReport Run(IEthernetLink link, BusUpOptions options, MasterOptions? masterOptions = null)
    {
        ArgumentNullException.ThrowIfNull(link);
        ArgumentNullException.ThrowIfNull(options);
        var master = new EtherCatMaster(link, masterOptions);
        var clock = master.Clock;
        var report = new BusUpReport();
        long t0 = clock.NowNs;
        long w0 = System.Diagnostics.Stopwatch.GetTimestamp();
        master.Initialize();
        var startup = new BusStartup(options.Esi, options.Config);
        try
        {
            master.ToPreOp();
            startup.Apply(master);
            master.ConfigureProcessData();
            bool anyDc = false;
            foreach (var s in master.SubDevices) anyDc |= s.SupportsDc;
            if (master.Options.DistributedClocks && anyDc) master.ConfigureDistributedClocks(options.MasterTimeNs, options.CycleNs);
        }
        catch (Exception e) when (e is EtherCatException or InputError)
        {
            BusStartup.BackToInit(master);
            report.Error = e.Message;
            report.ExitCode = e is InputError || e is EtherCatException { IsConfigMismatch: true } ? 2 : 3;
            Fill(report, master, startup, null);
            report.Notes.AddRange(startup.Notes);
            report.BringUpNs = clock.NowNs - t0;
            report.BringUpWallNs = (long)System.Diagnostics.Stopwatch.GetElapsedTime(w0).TotalNanoseconds;
            return report;
        }
        report.Notes.AddRange(startup.Notes);

        // As far as each slave gets: one refusal does not stop the others.
        var errors = new string?[master.SubDevices.Count];
        foreach (var target in new[] { AlState.SafeOp, AlState.Op })
            foreach (var s in master.SubDevices)
            {
                if (errors[s.Position] is not null) continue;
                try
                {
                    master.RequestStateDirect(s, target);
                }
                catch (EtherCatException e)
                {
                    errors[s.Position] = e.Message;
                }
            }
        master.ReadStates();
        report.BringUpNs = clock.NowNs - t0;
        report.BringUpWallNs = (long)System.Diagnostics.Stopwatch.GetElapsedTime(w0).TotalNanoseconds;
        Fill(report, master, startup, errors);

        Exchange(master, options, report);
        master.ReadStates();
        for (int i = 0; i < report.Slaves.Count; i++)
        {
            // A slave that dropped out of OP while exchanging says so with its AL status code.
            var now = master.SubDevices[i].Status;
            if (report.Slaves[i].Reached.State == AlState.Op && now.State != AlState.Op) report.Slaves[i] = report.Slaves[i] with { Reached = now, Error = $"left OP while exchanging process data: now {now}" };
        }

        Down(master, report);
        bool wkcOk = report.WorkingCounterWrong == 0 && report.LostFrames == 0;
        report.ExitCode = report.AllOp && wkcOk ? 0 : 3;
        if (report.ExitCode != 0)
        {
            foreach (var s in report.Slaves)
                if (s.Error is not null)
                {
                    report.Error = s.Error;
                    break;
                }
            report.Error ??= $"process data: {report.WorkingCounterWrong} cycles with a wrong working counter, {report.LostFrames} lost frames";
        }
        return report;
    }

    private static void Fill(BusUpReport report, EtherCatMaster master, BusStartup startup, string?[]? errors)
    {
        report.Slaves.Clear();
        try
        {
            master.ReadStates();
        }
        catch (EtherCatException)
        {
            // States stay as last read.
        }
        foreach (var s in master.SubDevices)
        {
            var m = startup.MatchOf(s.Position);
            string esiName = m.Device is null ? "-" : m.Device.Name + (m.ExactRevision ? "" : " (other rev.)");
            string dc = !s.SupportsDc ? "no" : master.Dc is null ? "yes (off)" : $"delay {s.PropagationDelayNs} ns";
            report.Slaves.Add(new SlaveUpReport(s.Position, s.Identity, s.Name, esiName, s.Status, s.OutputBytes, s.InputBytes, s.MappingSource, dc, errors?[s.Position]));
        }
    }

    private static void Exchange(EtherCatMaster master, BusUpOptions options, BusUpReport report)
    {
        if (master.Cyclic is not { } cyclic || options.DurationNs <= 0) return;
        var clock = master.Clock;
        report.ExpectedWorkingCounter = cyclic.Layout.ExpectedWorkingCounter;
        cyclic.Outputs.Clear(); // controlword 0: nothing is enabled
        long start = clock.NowNs, next = start;
        while (clock.NowNs - start < options.DurationNs)
        {
            var r = cyclic.Exchange(master.Link, clock, master.Options.CycleReplyTimeoutNs);
            report.Cycles++;
            if (!r.Received) report.LostFrames++;
            else if (r.LrwWorkingCounter == r.ExpectedWorkingCounter) report.WorkingCounterOk++;
            else report.WorkingCounterWrong++;
            if (r.Received && (r.AlStatusOr & 0x1F) != (ushort)AlState.Op) report.CyclesNotAllOp++;
            next += options.CycleNs;
            WaitUntil(clock, next);
        }
    }

    private static void WaitUntil(IMonotonicClock clock, long t)
    {
        if (clock is ManualClock manual)
        {
            if (manual.NowNs < t) manual.Advance(t - manual.NowNs);
            return;
        }
        while (true)
        {
            long left = t - clock.NowNs;
            if (left <= 0) return;
            if (left > 2_000_000) Thread.Sleep(TimeSpan.FromTicks((left - 1_000_000) / 100));
            else Thread.SpinWait(50);
        }
    }

    /// <summary>Down in order: every slave in OP to SAFE-OP first, then every slave to INIT.</summary>
    private static void Down(EtherCatMaster master, BusUpReport report)
    {
        foreach (var s in master.SubDevices)
            if (s.Status.State == AlState.Op)
                Try(() => master.RequestStateDirect(s, AlState.SafeOp));
        foreach (var s in master.SubDevices) Try(() => master.RequestStateDirect(s, AlState.Init));
        Try(master.ReadStates);
        foreach (var s in master.SubDevices) report.FinalStates.Add(s.Status);
    }

    private static void Try(Action a)
    {
        try
        {
            a();
        }
        catch (EtherCatException)
        {
            // The table shows where the slave stayed.
        }
    }
}
