using System.Globalization;

namespace Rt.Twin.Adaptation;

/// <summary>
/// The log thread of a <see cref="PayloadAdaptation"/>: drains its ring every <c>interval</c> and writes one line per
/// change; <see cref="Dispose"/> drains the rest and writes the final estimates. The tick never logs. Not real-time
/// safe (its own thread, I/O); the writer is used by this thread only until <see cref="Dispose"/> returns.
/// </summary>
public sealed class PayloadAdaptationLog : IDisposable
{
    private readonly PayloadAdaptation _adaptation;
    private readonly TextWriter _writer;
    private readonly double _periodS;
    private readonly TimeSpan _interval;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new(false);
    private bool _disposed;

    /// <summary>Starts the thread. <paramref name="periodS"/> turns ticks into seconds in the lines.</summary>
    public PayloadAdaptationLog(PayloadAdaptation adaptation, TextWriter writer, double periodS, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(adaptation);
        ArgumentNullException.ThrowIfNull(writer);
        _adaptation = adaptation;
        _writer = writer;
        _periodS = periodS;
        _interval = interval ?? TimeSpan.FromMilliseconds(50);
        _thread = new Thread(Run) { IsBackground = true, Name = "rt-twin-adapt-log" };
        _thread.Start();
    }

    /// <summary>Lines written so far (changes only).</summary>
    public long Lines { get; private set; }

    private void Run()
    {
        while (!_stop.Wait(_interval)) Drain();
    }

    private void Drain()
    {
        var inv = CultureInfo.InvariantCulture;
        while (_adaptation.Log.TryPop(out var c))
        {
            _writer.WriteLine(string.Create(inv, $"twin adapt: t {c.Tick * _periodS:F3} s, {_adaptation.EndLinkNames[c.EndLink]} payload {c.PayloadKg:F3} kg"));
            Lines++;
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
        var parts = new string[_adaptation.EndLinkNames.Count];
        for (int l = 0; l < parts.Length; l++) parts[l] = string.Create(inv, $"{_adaptation.EndLinkNames[l]} {_adaptation.PayloadKg[l]:F3} kg");
        _writer.WriteLine(string.Create(inv, $"twin adapt: final payload {string.Join(", ", parts)}; {_adaptation.Blocked} ticks held for a full log ring"));
        _writer.Flush();
        _stop.Dispose();
    }
}
