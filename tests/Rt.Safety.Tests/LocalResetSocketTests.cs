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
}
