using System.Net;
using System.Net.Sockets;
using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Hil.Campaign;
using Rt.Session;
using Rt.Safety;
using Rt.TestSupport;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Host.Tests;

/// <summary>telemetry_loss on the bench: the broker is unreachable, the supervisor warns, the robot keeps moving.</summary>
public sealed class TelemetryLossTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-telemetry-loss-").FullName;

    public void Dispose() => TempFolders.Delete(_dir);

    private static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop(); // nothing listens here any more
        return port;
    }

    [Fact]
    public void An_unreachable_broker_is_a_telemetry_loss_warning_and_never_stops_the_robot()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Twin.Enabled = false; // isolate the telemetry trigger from the twin's warnings
        var dir = _dir;
        var events = new List<SafetyEvent>();
        using (var session = BenchSession.Create(config, new SessionOptions
        {
            Bench = true,
            Lockstep = true,
            StateDirectory = dir,
            Broker = $"mqtt://127.0.0.1:{ClosedPort()}",
        }))
        {
            session.Log = _ => { };
            session.SafetyEventForwarded += e => { lock (events) events.Add(e); };
            session.RunLockstep(3000);
            Assert.True(session.Telemetry!.Sink.LinkDown);
            Assert.Equal(SafetyState.Operational, session.State.SafetyState);
            Assert.True(session.State.AllDrivesOperational);
        }
        // The log thread has drained at dispose: the warning is there, and nothing latched.
        var log = SafetyLogReader.Read(Path.Combine(dir, config.Safety.LogPath));
        Assert.Contains(log.Records, r => r.Event.Trigger == FaultCode.TelemetryDropped && r.Event.Reaction == StopCategory.Warning);
        Assert.DoesNotContain(log.Records, r => r.Event.To is SafetyState.Stopping or SafetyState.Faulted or SafetyState.Stopped);
    }
}
