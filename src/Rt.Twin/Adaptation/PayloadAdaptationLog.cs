using System.Globalization;

namespace Rt.Twin.Adaptation;

/// <summary>
/// The log thread of a <see cref="PayloadAdaptation"/> and/or a <see cref="FrictionAdaptation"/>: drains their rings
/// every <c>interval</c> and writes one line per change; <see cref="Dispose"/> drains the rest and writes the final
/// estimates. The tick never logs. Not real-time
/// safe (its own thread, I/O); the writer is used by this thread only until <see cref="Dispose"/> returns.
/// </summary>
public sealed class PayloadAdaptationLog : IDisposable
{
    private readonly PayloadAdaptation? _adaptation;
    private readonly FrictionAdaptation? _friction;
    private readonly TextWriter _writer;
    private readonly double _periodS;
    private readonly TimeSpan _interval;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new(false);
    private bool _disposed;

    /// <summary>Starts the thread. <paramref name="periodS"/> turns ticks into seconds in the lines; either adaptation may be null (not both).</summary>
    public PayloadAdaptationLog(PayloadAdaptation? adaptation, TextWriter writer, double periodS, TimeSpan? interval = null, FrictionAdaptation? friction = null)
    {
        if (adaptation is null && friction is null) throw new ArgumentNullException(nameof(adaptation), "neither a payload nor a friction adaptation to log");
        ArgumentNullException.ThrowIfNull(writer);
        _adaptation = adaptation;
        _friction = friction;
        _writer = writer;
        _periodS = periodS;
        _interval = interval ?? TimeSpan.FromMilliseconds(50);
        _thread = new Thread(Run) { IsBackground = true, Name = "rt-twin-adapt-log" };
        _thread.Start();
    }

    /// <summary>Lines written so far (changes only).</summary>
    public long Lines { get; private set; }

    /// <summary>Lines the output refused (an I/O error on it, e.g. a full disk under a redirected stdout); counted, never fatal.</summary>
    public long LinesLost { get; private set; }

    private void Run()
    {
        while (!_stop.Wait(_interval)) Drain();
    }

    // One line out; an output that fails stops taking lines (counted) rather than end the host mid-run from this thread.
    private void Write(string line)
    {
        if (_outputFailed) { LinesLost++; return; }
        try { _writer.WriteLine(line); Lines++; }
        catch (IOException) { _outputFailed = true; LinesLost++; }
    }

    private bool _outputFailed;

    private void Drain()
    {
        var inv = CultureInfo.InvariantCulture;
        if (_adaptation is not null)
            while (_adaptation.Log.TryPop(out var c))
            {
                Write(string.Create(inv, $"twin adapt: t {c.Tick * _periodS:F3} s, {_adaptation.EndLinkNames[c.EndLink]} payload {c.PayloadKg:F3} kg"));
            }
        if (_friction is not null)
            while (_friction.Log.TryPop(out var f))
            {
                Write(string.Create(inv, $"twin adapt: t {f.Tick * _periodS:F3} s, {_friction.JointNames[f.Joint]} friction coulomb ×{f.CoulombScale:F3} viscous ×{f.ViscousScale:F3}"));
            }
    }

    /// <summary>Stops the thread (call after the tick thread stopped), drains the ring and writes the final estimates.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop.Set();
        _thread.Join();
        Drain();
        var inv = CultureInfo.InvariantCulture;
        if (_adaptation is not null)
        {
            var parts = new string[_adaptation.EndLinkNames.Count];
            for (int l = 0; l < parts.Length; l++) parts[l] = string.Create(inv, $"{_adaptation.EndLinkNames[l]} {_adaptation.PayloadKg[l]:F3} kg");
            _writer.WriteLine(string.Create(inv, $"twin adapt: final payload {string.Join(", ", parts)}; {_adaptation.Blocked} ticks held for a full log ring"));
        }
        if (_friction is not null)
        {
            var parts = new string[_friction.JointNames.Count];
            for (int j = 0; j < parts.Length; j++) parts[j] = string.Create(inv, $"{_friction.JointNames[j]} ×{_friction.CoulombScale[j]:F3}/×{_friction.ViscousScale[j]:F3}");
            _writer.WriteLine(string.Create(inv, $"twin adapt: final friction (coulomb/viscous) {string.Join(", ", parts)}; {_friction.Blocked} ticks held for a full log ring"));
        }
        _writer.Flush();
        _stop.Dispose();
    }
}
