using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LocalResetSocketTests
{
    private static string Tick(Rig rig, string socketPath)
    {
        // The client waits for the supervisor's answer; the test thread keeps ticking meanwhile (lockstep, no sleeps).
        var reply = Task.Run(() => LocalResetSocket.Send(socketPath));
        while (!reply.IsCompleted) rig.Step();
        return reply.Result;
    }

    [Fact]
    public void Socket_is_owner_only_and_resets_through_the_edge_rules()
    {
        string dir = Directory.CreateTempSubdirectory("rt-reset-").FullName;
        string path = Path.Combine(dir, "reset.sock");
        try
        {
            var rig = new Rig().Operational();
            using var server = new LocalResetSocket(path, rig.Sup);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

            rig.EStop.Set(true);
            rig.Run(3);
            Assert.Equal(SafetyState.Faulted, rig.State);
            string refused = Tick(rig, path);
            Assert.StartsWith("refused: cause persists: EStop (0x0701) channel 0", refused, StringComparison.Ordinal);
            Assert.Equal(SafetyState.Faulted, rig.State);

            rig.EStop.Set(false);
            rig.Run(3);
            Assert.Equal("accepted", Tick(rig, path));
            rig.Run(3);
            Assert.Equal(SafetyState.Disabled, rig.State);

            Assert.StartsWith("error: unknown command", LocalResetSocket.Send(path, "enable"), StringComparison.Ordinal);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Socket_refuses_world_accessible_permissions()
    {
        var rig = new Rig();
        Assert.Throws<ArgumentException>(() => new LocalResetSocket(Path.Combine(Path.GetTempPath(), "x.sock"), rig.Sup,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite));
    }

    [Fact]
    public async Task A_silent_client_is_dropped_after_the_receive_timeout_and_does_not_block_a_second_clients_reset()
    {
        string dir = Directory.CreateTempSubdirectory("rt-reset-").FullName;
        string path = Path.Combine(dir, "reset.sock");
        try
        {
            var rig = new Rig().Operational();
            rig.EStop.Set(true);
            rig.Run(3);
            rig.EStop.Set(false);
            rig.Run(3);
            Assert.Equal(SafetyState.Faulted, rig.State);
            using var server = new LocalResetSocket(path, rig.Sup, receiveTimeout: TimeSpan.FromMilliseconds(200));

            using var silent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                System.Net.Sockets.ProtocolType.Unspecified);
            silent.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path)); // connects, then sends nothing
            var second = Task.Run(() => LocalResetClient.Send(path, TimeSpan.FromSeconds(5)));
            while (!second.IsCompleted) rig.Step();

            var reply = await second;
            Assert.Equal(ResetReplyKind.Accepted, reply.Kind);
            Assert.Equal("accepted", reply.Message);
            Assert.Equal(1, server.SilentClientsDropped);
            var buf = new byte[128];
            int n = silent.Receive(buf);
            Assert.StartsWith("error: no command within 0.2 s", System.Text.Encoding.ASCII.GetString(buf, 0, n), StringComparison.Ordinal);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Group_mode_from_config_gives_the_socket_0660_and_the_operator_group()
    {
        // The operator group: any group other than ours when we may chown to it (root), else our own primary group.
        int ownGid = int.Parse(Run("id", "-g"), System.Globalization.CultureInfo.InvariantCulture);
        var (name, gid) = File.ReadLines("/etc/group").Select(l => l.Split(':'))
            .Where(f => f.Length >= 3 && int.TryParse(f[2], out _))
            .Select(f => (f[0], int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)))
            .FirstOrDefault(g => Environment.UserName == "root" ? g.Item2 != ownGid : g.Item2 == ownGid);
        Assert.NotNull(name);
        string dir = Directory.CreateTempSubdirectory("rt-reset-").FullName;
        string path = Path.Combine(dir, "reset.sock");
        try
        {
            var rig = new Rig(c => { c.Safety.ResetSocketMode = "0660"; c.Safety.ResetSocketGroup = name; }) { CommandVelocity = 0 };
            using var server = LocalResetSocket.Open(rig.Config, path, rig.Sup);
            Assert.Equal(LocalResetSocket.OwnerAndGroup, File.GetUnixFileMode(path));
            Assert.Equal(gid.ToString(System.Globalization.CultureInfo.InvariantCulture), Run("stat", "-c", "%g", path));
            var reply = Task.Run(() => LocalResetClient.Send(path, TimeSpan.FromSeconds(5)));
            while (!reply.IsCompleted) rig.Step();
            Assert.Equal(ResetReplyKind.Ignored, (await reply).Kind); // nothing latched: nothing to reset
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void An_unknown_operator_group_is_refused_naming_the_key()
    {
        var rig = new Rig(c => c.Safety.ResetSocketGroup = "no-such-group-rt");
        var e = Assert.Throws<Rt.Core.Errors.InputError>(() => LocalResetSocket.Open(rig.Config, Path.Combine(Path.GetTempPath(), "never.sock"), rig.Sup));
        Assert.Equal("safety.reset_socket_group", e.Location);
    }

    [Fact]
    public void Client_reports_an_unreachable_socket_instead_of_throwing()
    {
        var reply = LocalResetClient.Send(Path.Combine(Path.GetTempPath(), "rt-no-such-reset.sock"), TimeSpan.FromSeconds(1));
        Assert.Equal(ResetReplyKind.Unreachable, reply.Kind);
        Assert.Contains("cannot reach the reset socket", reply.Message, StringComparison.Ordinal);
        Assert.False(reply.Accepted);
    }

    private static string Run(string file, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return output;
    }
}
