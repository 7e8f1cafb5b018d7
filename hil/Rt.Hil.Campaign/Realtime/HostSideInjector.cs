using System.Diagnostics;
using Rt.Core.Errors;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Realtime;

/// <summary>
/// The injections of a real-time run that cannot be applied on the tick thread, applied from their own (non-real-time)
/// thread as the tick reaches them: the CPU hog (threads), the broker outage (a process), and when the bench runs in its
/// own process the plant/drive/IMU/bus injections (a line on the serve process's control socket) and the link going
/// down (<c>ip link set &lt;iface&gt; down</c>). The thread watches the tick counter and acts once tick T−1 has run, so
/// the effect lands between ticks T−1 and T, like the lockstep runner's — give or take the thread's wake-up (tens of
/// µs against a 1 ms tick), and the serve process applies a control line at its next frame boundary. What was applied,
/// and at which tick the host had reached, is in <see cref="Applied"/>.
/// Not real-time safe (it is the off-tick side by design).
/// </summary>
public sealed class HostSideInjector : IDisposable
{
    private readonly double _rateHz;
    private readonly long _periodNs;
    private readonly List<(long Tick, bool End, Injection Injection, int Index)> _events = [];
    private readonly Func<long> _lastTick;
    private readonly PrivateBroker? _broker;
    private readonly ControlSocketClient? _control;
    private readonly string? _linkInterface;
    private readonly int _hogCpu;
    private readonly List<AppliedInjection> _applied = [];
    private readonly CpuHog?[] _hogs;
    private readonly bool[] _active;
    private readonly Thread _thread;
    private volatile bool _stop;
    private Exception? _failure;

    /// <param name="injections">The injections this side applies (the caller leaves the tick-side kinds out).</param>
    /// <param name="rateHz">Loop rate: start tick = round(at_s · rate), end = start + round(duration_s · rate).</param>
    /// <param name="lastTick">The last tick that ran (−1 before the first).</param>
    /// <param name="broker">The private broker for a broker outage.</param>
    /// <param name="control">The serve process's control socket (bench in its own process).</param>
    /// <param name="linkInterface">The host's veth end, taken down for link_down (bench in its own process).</param>
    /// <param name="hogCpu">The tick's CPU (config loop.cpu) the hog threads are pinned to; −1: any.</param>
    public HostSideInjector(IReadOnlyList<Injection> injections, double rateHz, Func<long> lastTick,
        PrivateBroker? broker = null, ControlSocketClient? control = null, string? linkInterface = null, int hogCpu = -1)
    {
        _rateHz = rateHz;
        _periodNs = (long)Math.Round(1e9 / rateHz);
        _lastTick = lastTick;
        _broker = broker;
        _control = control;
        _linkInterface = linkInterface;
        _hogCpu = hogCpu;
        _hogs = new CpuHog?[injections.Count];
        _active = new bool[injections.Count];
        for (int i = 0; i < injections.Count; i++)
        {
            var inj = injections[i];
            long start = (long)Math.Round(inj.AtS * rateHz);
            _events.Add((start, false, inj, i));
            if (inj.DurationS is { } d) _events.Add((start + (long)Math.Round(d * rateHz), true, inj, i));
            CheckSupported(inj);
        }
        // Ends before starts at the same tick, as the lockstep injector does (a back-to-back injection restarts cleanly).
        _events.Sort((a, b) => a.Tick != b.Tick ? a.Tick.CompareTo(b.Tick) : b.End.CompareTo(a.End));
        FirstPlannedTick = _events.Count == 0 ? long.MaxValue : _events.Where(e => !e.End).Select(e => e.Tick).DefaultIfEmpty(long.MaxValue).Min();
        _thread = new Thread(Run) { IsBackground = true, Name = "rt-hil-injector" };
    }

    /// <summary>The earliest planned start (long.MaxValue: none).</summary>
    public long FirstPlannedTick { get; }

    /// <summary>Injections applied so far, with the tick the host was about to run when each landed.</summary>
    public IReadOnlyList<AppliedInjection> Applied
    {
        get { lock (_applied) return [.. _applied]; }
    }

    /// <summary>Lines the control socket rejected or commands that failed (a failure ends this side's work; the run goes on and the result says so).</summary>
    public string? Failure => _failure?.Message;

    public void Start() => _thread.Start();

    private void CheckSupported(Injection inj)
    {
        switch (inj.Kind)
        {
            case InjectionKind.CpuHog:
                return;
            case InjectionKind.BrokerOutage when _broker == null:
                throw new InputError("scenario", $"injections (line {inj.Line})", "broker_outage needs the run's private broker");
            case InjectionKind.BrokerOutage:
                return;
            case InjectionKind.LinkDown when _linkInterface == null:
                throw new InvalidOperationException("link_down on the host side needs the veth interface");
            case InjectionKind.LinkDown:
                return;
            default:
                if (_control == null) throw new InvalidOperationException($"{ControlProtocol.KindName(inj.Kind)} on the host side needs the serve process's control socket");
                return;
        }
    }

    private void Run()
    {
        try
        {
            foreach (var e in _events)
            {
                if (!WaitForTick(e.Tick)) return;
                long at = _lastTick() + 1;
                Apply(e.Injection, e.Index, e.End, at);
                lock (_applied)
                {
                    if (!e.End)
                    {
                        long? plannedEnd = e.Injection.DurationS is { } d ? at + (long)Math.Round(d * _rateHz) : null;
                        _applied.Add(new AppliedInjection(e.Injection.Kind, e.Injection.Target, at, at * _periodNs / 1e9, plannedEnd));
                    }
                    else
                    {
                        int k = _applied.FindLastIndex(a => a.Kind == e.Injection.Kind && a.Target == e.Injection.Target);
                        if (k >= 0) _applied[k] = _applied[k] with { EndTick = at };
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Net.Sockets.SocketException or System.ComponentModel.Win32Exception)
        {
            _failure = ex;
        }
    }

    // Tick T−1 has run: the next thing the tick thread does is tick T. Sleep while far, yield when close.
    private bool WaitForTick(long tick)
    {
        while (!_stop)
        {
            long last = _lastTick();
            long ahead = tick - 1 - last;
            if (ahead <= 0) return true;
            if (ahead > 3) Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, (ahead - 2) * _periodNs / 100)));
            else Thread.Yield();
        }
        return false;
    }

    private void Apply(Injection inj, int index, bool end, long tick)
    {
        if (end && !_active[index]) return;
        switch (inj.Kind)
        {
            case InjectionKind.CpuHog:
                if (!end)
                {
                    _hogs[index] = new CpuHog(0, _hogCpu);
                    _hogs[index]!.Start();
                }
                else
                {
                    _hogs[index]?.Stop();
                }
                break;
            case InjectionKind.BrokerOutage:
                if (!end) _broker!.Stop();
                else _broker!.Restart();
                break;
            case InjectionKind.LinkDown:
                IpLink(_linkInterface!, up: end);
                break;
            default:
                string reply = _control!.Send(ControlProtocol.Format(new ControlCommand(tick, end, inj))) ?? "error: the serve process closed the control socket";
                if (reply != "ok") throw new InvalidOperationException($"serve process refused {ControlProtocol.KindName(inj.Kind)}: {reply}");
                break;
        }
        _active[index] = !end;
    }

    /// <summary>Takes an interface down or up (<c>ip link set</c>; needs CAP_NET_ADMIN).</summary>
    public static void IpLink(string iface, bool up)
    {
        var psi = new ProcessStartInfo("ip", ["link", "set", iface, up ? "up" : "down"]) { RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start ip");
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ip link set {iface} {(up ? "up" : "down")} failed: {err.Trim()}");
    }

    /// <summary>Stops the thread and ends whatever is still in force (hogs stopped, link up, broker back).</summary>
    public void Stop()
    {
        _stop = true;
        if (_thread.IsAlive) _thread.Join();
        for (int i = 0; i < _active.Length; i++)
        {
            if (!_active[i]) continue;
            var inj = _events.First(e => e.Index == i).Injection;
            try
            {
                switch (inj.Kind)
                {
                    case InjectionKind.CpuHog: _hogs[i]?.Stop(); break;
                    case InjectionKind.BrokerOutage: _broker!.Restart(); break;
                    case InjectionKind.LinkDown: IpLink(_linkInterface!, up: true); break;
                }
            }
            catch (InvalidOperationException ex)
            {
                _failure ??= ex;
            }
            _active[i] = false;
        }
    }

    public void Dispose() => Stop();
}
