using System.Net.Sockets;
using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

/// <summary>
/// A bug in a command's handler on the reset socket's thread: counted, logged in one line, the client's connection closed
/// (a hold it carried lets go) and the thread keeps serving: the next reset is still answered. And a socket path over
/// sun_path's 107 bytes is bad input naming the config key, not an exception from the socket layer.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LocalResetSocketFaultTests
{
    private sealed class ThrowingCommands : Rt.Safety.Jog.ILocalCommands
    {
        public bool TryHandle(string command, Socket client) =>
            command == "boom" ? throw new InvalidOperationException("handler bug") : false;
    }

    [Fact]
    public async Task An_unexpected_exception_in_a_handler_is_counted_logged_and_the_next_client_is_still_served()
    {
        string dir = Directory.CreateTempSubdirectory("rt-reset-fault-").FullName;
        string path = Path.Combine(dir, "reset.sock");
        try
        {
            var rig = new Rig().Operational();
            rig.EStop.Set(true);
            rig.Run(3);
            rig.EStop.Set(false);
            rig.Run(3);
            Assert.Equal(SafetyState.Faulted, rig.State);
            var log = new StringWriter();
            using var server = new LocalResetSocket(path, rig.Sup) { Commands = new ThrowingCommands(), FaultLog = TextWriter.Synchronized(log) };

            var bad = LocalResetClient.Send(path, TimeSpan.FromSeconds(30), "boom");
            Assert.Equal(ResetReplyKind.Error, bad.Kind);
            Assert.StartsWith("error: internal: InvalidOperationException", bad.Message, StringComparison.Ordinal);
            Assert.Equal(1, server.HandlerFaults);
            string line = Assert.Single(log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: unexpected InvalidOperationException on thread 'rt-reset-socket'", line, StringComparison.Ordinal);
            Assert.Contains("handler bug", line, StringComparison.Ordinal);

            // The thread is alive: a reset is answered by the supervisor's decision.
            var reset = Task.Run(() => LocalResetClient.Send(path, TimeSpan.FromSeconds(30)));
            while (!reset.IsCompleted) rig.Step();
            Assert.Equal(ResetReplyKind.Accepted, (await reset).Kind);
            Assert.Equal(1, server.HandlerFaults);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_socket_path_over_107_bytes_is_bad_input_naming_the_key()
    {
        var rig = new Rig();
        string longPath = "/tmp/" + new string('d', 100) + "/reset.sock";
        var config = new RtConfig { SourcePath = "robot.yaml" };
        config.Safety.ResetSocket = "reset.sock";
        var e = Assert.Throws<InputError>(() => LocalResetSocket.Open(config, longPath, rig.Sup));
        Assert.Contains("safety.reset_socket", e.Message, StringComparison.Ordinal);
        Assert.Contains("at most 107 bytes", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(longPath));
    }
}
