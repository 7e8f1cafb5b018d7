using System.Collections.Concurrent;
using System.Device.Gpio;
using System.Net.Sockets;
using System.Text;
using Rt.ControlLoop.Scheduling;
using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Hil.Campaign;
using Rt.Hil.Drives;
using Rt.Safety.Jog;
using Rt.Session;
using Rt.TestSupport;
using Xunit;

namespace Rt.Host.Tests;

/// <summary>
/// <c>rt brake</c> on the bench: biped12 in lockstep, the left knee's brake with a release output
/// (<c>brakes[].release_output</c>) on a GPIO line whose driver is the emulated brake (the line energised = the
/// emulated HoldingBrake released by hand). The requests go through the real socket commands over a Unix socket, the
/// tick sets the slot, the writer (flushed between ticks, as lockstep runs do) writes the line through GpioController.
/// </summary>
public sealed class BrakeOnBenchTests : IDisposable
{
    private const int ReleaseLine = 5;
    private readonly ConcurrentQueue<SafetyEvent> _events = new();
    private readonly BrakeLineDriver _driver = new();
    private HostSession? _session;
    private LockstepScheduler? _scheduler;
    private long _tick;
    private Socket? _server, _client;
    private Thread? _serverThread;
    private StreamReader? _reader;

    /// <summary>A GPIO chip whose line <see cref="ReleaseLine"/> is the knee's brake release coil on the bench.</summary>
    private sealed class BrakeLineDriver : GpioDriver
    {
        private readonly bool[] _level = new bool[16];
        public HoldingBrake? Brake;
        protected override int PinCount => 16;
        protected override void OpenPin(int pinNumber) { }
        protected override void ClosePin(int pinNumber) { }
        protected override void SetPinMode(int pinNumber, PinMode mode) { }
        protected override PinMode GetPinMode(int pinNumber) => PinMode.Output;
        protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;
        protected override PinValue Read(int pinNumber) => _level[pinNumber] ? PinValue.High : PinValue.Low;
        protected override void Write(int pinNumber, PinValue value)
        {
            _level[pinNumber] = value == PinValue.High;
            if (pinNumber == ReleaseLine && Brake != null) Brake.ManualRelease = _level[pinNumber];
        }
        protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) => throw new NotSupportedException();
        protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) => throw new NotSupportedException();
        protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) => throw new NotSupportedException();
    }

    private HostSession Start(Dictionary<string, double> pose, bool enableMotion = false)
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Twin.Enabled = false; // the sag is the point: judged by the supervisor's own triggers
        config.Brakes.Find(b => b.Joint == "l_knee")!.ReleaseOutput = new BrakeReleaseOutput { Chip = "gpiochip0", Line = ReleaseLine };
        _session = BenchSession.Create(config, new SessionOptions
        {
            Bench = true,
            Lockstep = true,
            EnableMotion = enableMotion,
            InitialPose = pose,
            StateDirectory = Directory.CreateTempSubdirectory("rt-brake-bench-").FullName,
            BrakeGpioDrivers = (_, _, _, _) => _driver,
        });
        _driver.Brake = Drive("l_knee").Brake;
        _session.SafetyEventForwarded += e => _events.Enqueue(e);
        _scheduler = _session.CreateLockstep();
        // The socket commands the host serves, on their own thread as on the reset socket.
        var commands = new BrakeSocketCommands(_session.Homing!.Brakes, [.. config.Joints.Select(j => j.Name)], ["l_knee"]);
        string path = Path.Combine(_session.StateDirectory, "brake.sock");
        _server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _server.Bind(new UnixDomainSocketEndPoint(path));
        _server.Listen(4);
        var server = _server;
        _serverThread = new Thread(() =>
        {
            try
            {
                while (true)
                {
                    using var c = server.Accept();
                    using var r = new StreamReader(new NetworkStream(c, ownsSocket: false), Encoding.ASCII);
                    if (r.ReadLine() is { } line) commands.TryHandle(line, c);
                }
            }
            catch (SocketException) { } // closed at the end of the test
            catch (ObjectDisposedException) { }
        }) { IsBackground = true };
        _serverThread.Start();
        return _session;
    }

    private void Connect()
    {
        _client?.Dispose();
        _client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _client.Connect(new UnixDomainSocketEndPoint(Path.Combine(_session!.StateDirectory, "brake.sock")));
        _reader = new StreamReader(new NetworkStream(_client, ownsSocket: false), Encoding.UTF8);
    }

    /// <summary>Sends a line as <c>rt brake</c> does and ticks until the host's thread answers (it waits for the tick).</summary>
    private string Exchange(string line)
    {
        var brakes = _session!.Homing!.Brakes!;
        long before = brakes.SubmittedSeq;
        _client!.Send(Encoding.ASCII.GetBytes(line + "\n"));
        // Lockstep: no tick passes until the socket thread has answered or submitted its request, however slow the
        // machine (ticking meanwhile would run the hold timeout down while the thread waits for a core).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (brakes.SubmittedSeq == before && DateTime.UtcNow < deadline)
            if (_client.Poll(1000, SelectMode.SelectRead)) return _reader!.ReadLine() ?? "(closed)";
        for (int t = 0; t < 20_000; t++)
        {
            if (_client.Poll(0, SelectMode.SelectRead)) return _reader!.ReadLine() ?? "(closed)";
            Run(1);
            if (t % 16 == 0) Thread.Sleep(1); // let the socket thread see the tick's answer
        }
        throw new TimeoutException($"no answer to '{line}'");
    }

    private void Run(long ticks)
    {
        for (long i = 0; i < ticks; i++)
        {
            _scheduler!.Run(1, _tick++);
            _session!.BrakeOutputs!.FlushOnce(); // the writer's pass (its thread's body) between lockstep ticks
        }
    }

    private int Joint(string name) => _session!.Config.Joints.FindIndex(j => j.Name == name);
    private EmulatedServoDrive Drive(string name) => ((BenchRig)_session!.Rig!).Bench.Drives[Joint(name)];
    private double TrueAngle(string name) => ((BenchRig)_session!.Rig!).Bench.Plant.JointPosition(Joint(name));

    [Fact]
    public void Rt_brake_release_lets_the_unpowered_knee_sag_only_while_held_and_it_stops_once_let_go()
    {
        var s = Start(new() { ["l_knee"] = 0.8 });
        Run(300);
        Assert.Equal(SafetyState.Disabled, s.Supervisor!.State);
        double q0 = TrueAngle("l_knee");
        Run(100);
        Assert.InRange(TrueAngle("l_knee") - q0, -0.002, 0.002); // braked, unpowered: it stays

        Connect();
        string first = Exchange("brake release l_knee");
        Assert.StartsWith("released l_knee at ", first);
        Assert.True(Drive("l_knee").Brake!.ManualRelease); // the line is energised: the emulated brake let go
        for (int i = 0; i < 3; i++)
        {
            Run(50);
            Assert.StartsWith("at ", Exchange("hold"));
        }
        double sag = TrueAngle("l_knee") - q0;
        Assert.True(Math.Abs(sag) > 0.005, $"the released knee sags under gravity ({sag} rad)");

        Assert.StartsWith("engaged: l_knee braked again", Exchange("release")); // the operator lets go
        Assert.False(Drive("l_knee").Brake!.ManualRelease);
        Run(60); // the brake's engage time (20 ms) and its spring catching the joint
        double caught = TrueAngle("l_knee");
        Run(500);
        Assert.InRange(TrueAngle("l_knee") - caught, -0.003, 0.003); // stopped once engaged
        Assert.Equal(DrivePowerRequest.Off, s.State.PowerRequest); // never powered
        Assert.Equal([BrakeEventKind.Released, BrakeEventKind.Engaged], CloseAndTakeBrakeEvents());
    }

    [Fact]
    public void A_client_that_dies_engages_the_brake_at_once()
    {
        var s = Start(new() { ["l_knee"] = 0.8 });
        Run(300);
        Connect();
        Assert.StartsWith("released ", Exchange("brake release l_knee"));
        var brakes = s.Homing!.Brakes!;
        long before = brakes.SubmittedSeq;
        _client!.Dispose(); // the command's process dies: its socket closes
        // Lockstep: no tick passes until the socket thread has reacted to the closed stream, however slow the machine.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (brakes.SubmittedSeq == before && DateTime.UtcNow < deadline) Thread.Sleep(1);
        Assert.True(brakes.SubmittedSeq > before, "the socket thread never reacted to the closed connection");
        long waited = 0;
        while (Drive("l_knee").Brake!.ManualRelease && waited < 5000)
        {
            Run(1);
            waited++;
            if (waited % 16 == 0) Thread.Sleep(1); // let the socket thread see the end of the stream
        }
        Assert.False(Drive("l_knee").Brake!.ManualRelease);
        Assert.True(waited < (long)(s.Config.Jog.HoldTimeoutS * 1000), $"engaged after {waited} ticks: by the closed connection, before the hold timeout");
    }

    [Fact]
    public void A_silent_client_leaves_no_brake_open_and_a_stalled_tick_de_energises_the_line()
    {
        var s = Start(new() { ["l_knee"] = 0.8 });
        Run(300);
        Connect();
        Assert.StartsWith("released ", Exchange("brake release l_knee"));
        long holdTicks = (long)(s.Config.Jog.HoldTimeoutS * 1000);
        long waited = 0;
        while (Drive("l_knee").Brake!.ManualRelease && waited < 5 * holdTicks) { Run(1); waited++; }
        Assert.InRange(waited, 1, holdTicks + 2); // re-engaged in the first tick past the hold timeout on the tick's clock

        // The tick stalls with the brake released: the writer, judging the heartbeat on the same clock, de-energises it.
        _client!.Dispose();
        Connect();
        Assert.StartsWith("released ", Exchange("brake release l_knee"));
        Assert.True(s.BrakeOutputs!.IsEnergised(Joint("l_knee")));
        // The plant's time runs on while the pipeline does not tick: no heartbeat, the clock moves.
        var world = (Rt.ControlLoop.Scheduling.ISimulatedWorld)s.Rig!;
        long timeoutTicks = (long)(s.BrakeOutputs.HeartbeatTimeout.TotalMilliseconds);
        for (long t = 0; t < timeoutTicks; t++)
        {
            world.Advance(s.PeriodNs);
            s.BrakeOutputs.FlushOnce();
        }
        Assert.True(Drive("l_knee").Brake!.ManualRelease); // within the heartbeat timeout: still released
        world.Advance(s.PeriodNs);
        world.Advance(s.PeriodNs);
        s.BrakeOutputs.FlushOnce();
        Assert.True(s.BrakeOutputs.HeartbeatLost);
        Assert.False(Drive("l_knee").Brake!.ManualRelease); // de-energised: the emulated brake closes
    }

    [Fact]
    public void Rt_brake_release_is_refused_while_the_robot_is_enabled_and_nothing_is_released()
    {
        var s = Start(new() { ["l_knee"] = 0.5 }, enableMotion: true);
        Run(1500);
        Assert.Equal(SafetyState.Operational, s.Supervisor!.State);
        Connect();
        string answer = Exchange("brake release l_knee");
        Assert.StartsWith("refused: the robot is enabled", answer);
        Run(10);
        Assert.False(Drive("l_knee").Brake!.ManualRelease);
        Assert.False(s.BrakeOutputs!.IsEnergised(Joint("l_knee")));
        Connect();
        Assert.StartsWith("error: 'l_hip_yaw' has no brake this host can release", Exchange("brake release l_hip_yaw"));
        Connect();
        Assert.StartsWith("error: unknown joint 'nope'", Exchange("brake release nope"));
        Assert.Equal([BrakeEventKind.RefusedNotDisabled], CloseAndTakeBrakeEvents());
    }

    [Fact]
    public void A_released_brake_costs_the_tick_0_bytes()
    {
        var s = Start(new() { ["l_knee"] = 0.8 });
        Run(300);
        Connect();
        Assert.StartsWith("released ", Exchange("brake release l_knee"));
        Assert.StartsWith("at ", Exchange("hold"));
        long a0 = GC.GetAllocatedBytesForCurrentThread();
        _scheduler!.Run(100, _tick); // ticks only (the writer's pass is not the tick)
        _tick += 100;
        long bytes = GC.GetAllocatedBytesForCurrentThread() - a0;
        Assert.True(Drive("l_knee").Brake!.ManualRelease || s.Homing!.Brakes!.Status.Released);
        Assert.Equal(0, bytes);
    }

    private List<BrakeEventKind> CloseAndTakeBrakeEvents()
    {
        _session!.Dispose();
        return [.. _events.Where(e => e.Trigger == FaultCode.ManualBrake).Select(e => (BrakeEventKind)ManualEventCode.Decode(e.Value).Kind)];
    }

    public void Dispose()
    {
        _client?.Dispose();
        _server?.Dispose();
        _serverThread?.Join(2000);
        if (_session == null) return;
        _session.Dispose();
        try { Directory.Delete(_session.StateDirectory, recursive: true); }
        catch (IOException) { }
    }
}
