using Rt.Session;
using Rt.Perf;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Injections;

/// <summary>
/// A mosquitto of the scenario's own on 127.0.0.1 and a free port, in a temp directory, for broker-outage scenarios:
/// <see cref="Stop"/> is the outage, <see cref="Restart"/> its end (same port, so the host's client reconnects on its own).
/// A thin owner of <see cref="LocalBroker"/> (the telemetry bench's broker), which does the process work.
/// Not real-time safe (spawns and waits for a process).
/// </summary>
public sealed class PrivateBroker : IDisposable
{
    private readonly LocalBroker _broker;
    private readonly string _directory;

    private PrivateBroker(LocalBroker broker, string directory)
    {
        _broker = broker;
        _directory = directory;
    }

    /// <summary>
    /// Not real-time safe. Starts the broker and waits until it accepts connections. Throws
    /// <see cref="HostUnavailableException"/> if mosquitto is not installed or does not start.
    /// </summary>
    public static PrivateBroker Start()
    {
        if (!File.Exists(LocalBroker.Executable))
            throw new HostUnavailableException($"{LocalBroker.Executable} not found: broker-outage scenarios need Debian's mosquitto (apt-get install mosquitto)");
        string dir = Directory.CreateTempSubdirectory("rt-scenario-broker-").FullName;
        var broker = new LocalBroker(dir);
        try
        {
            broker.Start();
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            broker.Dispose();
            TryDelete(dir);
            throw new HostUnavailableException($"the private mosquitto did not start: {e.Message}", e);
        }
        return new PrivateBroker(broker, dir);
    }

    /// <summary>mqtt://127.0.0.1:port</summary>
    public string Uri => _broker.Uri;

    public int Port => _broker.Port;

    /// <summary>Whether the broker process is up.</summary>
    public bool Running => _broker.Running;

    /// <summary>The broker's own log (connections, disconnections), for a failing scenario's report.</summary>
    public string LogPath => _broker.LogPath;

    /// <summary>Not real-time safe. The outage: SIGTERM, waits for the process to exit.</summary>
    public void Stop() => _broker.Stop();

    /// <summary>Not real-time safe. The end of the outage: starts again on the same port and waits until it listens.</summary>
    public void Restart() => _broker.Start();

    public void Dispose()
    {
        _broker.Dispose();
        TryDelete(_directory);
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { } // best effort: a temp folder left behind is harmless
        catch (UnauthorizedAccessException) { }
    }
}
