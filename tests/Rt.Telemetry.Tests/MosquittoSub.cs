using System.Diagnostics;
using System.Globalization;

namespace Rt.Telemetry.Tests;

/// <summary>
/// Debian's mosquitto_sub as an independent subscriber (not our binding): QoS 1, one JSON payload per line. Waits
/// for the broker's SUBACK before returning, so nothing published afterwards can be missed.
/// </summary>
internal sealed class MosquittoSub : IDisposable
{
    private readonly Process _p;
    private readonly List<string> _payloads = new();
    private readonly ManualResetEventSlim _subscribed = new(false);

    public MosquittoSub(int port, string topic)
    {
        // stdbuf: mosquitto_sub prints with stdio, which buffers a pipe until exit; line buffering shows each message at once.
        var psi = new ProcessStartInfo("stdbuf", ["-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture),
            "-t", topic, "-q", "1", "-d", "-i", $"check-{Guid.NewGuid():N}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _p = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto_sub did not start");
        _p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            if (e.Data.StartsWith('{')) lock (_payloads) _payloads.Add(e.Data);
            else if (e.Data.Contains("SUBACK", StringComparison.Ordinal)) _subscribed.Set();
        };
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
        if (!_subscribed.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException($"mosquitto_sub did not subscribe to {topic}");
    }

    public List<string> Payloads { get { lock (_payloads) return [.. _payloads]; } }

    public bool WaitFor(Func<List<string>, bool> done, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (done(Payloads)) return true;
            Thread.Sleep(20);
        }
        return done(Payloads);
    }

    public void Dispose()
    {
        try { _p.Kill(); _p.WaitForExit(2000); } catch (InvalidOperationException) { }
        _p.Dispose();
        _subscribed.Dispose();
    }
}
