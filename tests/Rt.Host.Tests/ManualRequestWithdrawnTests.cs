using System.Net.Sockets;
using System.Text;
using Rt.Core.Config;
using Rt.Core.Tick;
using Rt.Hil.Campaign;
using Rt.Safety.Jog;
using Rt.Session;
using Rt.TestSupport;
using Xunit;

namespace Rt.Host.Tests;

/// <summary>
/// A manual request the tick did not take in time is answered "no answer" and withdrawn: a tick that comes later must
/// not move a joint for an operator who was told nothing happened (the end-to-end homing test once homed twice so).
/// </summary>
public sealed class ManualRequestWithdrawnTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-withdrawn-").FullName;

    public void Dispose() => TempFolders.Delete(_dir);

    [Fact]
    public void A_jog_start_answered_no_answer_never_powers_the_drives_when_the_tick_comes_later()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Twin.Enabled = false;
        using var session = BenchSession.Create(config, new SessionOptions
        {
            Bench = true,
            Lockstep = true,
            EnableMotion = false, // as rt run --start-disabled
            InitialPose = new Dictionary<string, double> { ["l_knee"] = -0.12 }, // outside its range: a jog + is permitted
            StateDirectory = _dir,
        });
        var scheduler = session.CreateLockstep();
        scheduler.Run(50); // ticking, disabled, latched on the knee's position limit
        int knee = config.Joints.FindIndex(j => j.Name == "l_knee");
        double before = session.State.Position[knee];
        var commands = new JogSocketCommands(session.Jog!, [.. config.Joints.Select(j => (j.Limits.PositionMinRad, j.Limits.PositionMaxRad))]);

        // The tick is paused while the socket's thread waits for it: the request is queued, the answer times out.
        string path = Path.Combine(Path.GetTempPath(), $"rt-wd-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 30_000 };
        client.Connect(new UnixDomainSocketEndPoint(path));
        using var server = listener.Accept();
        var serving = new Thread(() => commands.TryHandle("jog l_knee + 0.1", server));
        serving.Start();
        using var reader = new StreamReader(new NetworkStream(client), Encoding.UTF8);
        string? answer = reader.ReadLine();
        Assert.True(serving.Join(TimeSpan.FromSeconds(30)));
        File.Delete(path);
        Assert.Equal(JogSocketCommands.NoAnswer, answer);

        // The tick comes back: the queued start and its withdrawal are handled together; nothing is powered or moved.
        long tick = 50;
        for (int k = 0; k < 1000; k++)
        {
            scheduler.Run(1, tick++);
            Assert.NotEqual(DrivePowerRequest.Operate, session.State.PowerRequest);
        }
        Assert.Equal(JogPhase.Idle, session.Jog!.Phase);
        Assert.Equal(before, session.State.Position[knee], 3);
    }
}
