namespace Rt.Session;

/// <summary>How <c>rt run</c> (and the tests and benchmarks that reuse it) put a session together.</summary>
public sealed class SessionOptions
{
    /// <summary>Drive the emulated bench instead of real hardware.</summary>
    public bool Bench { get; init; }

    /// <summary>Simulated time advanced by the bench (deterministic, faster than real time).</summary>
    public bool Lockstep { get; init; }

    public double DurationS { get; init; } = 10;

    /// <summary>Refuse to start if SCHED_FIFO/mlockall are not granted.</summary>
    public bool RequireRealtime { get; init; }

    /// <summary>Overrides the config's bus interface (a veth end with the emulator in its own process).</summary>
    public string? Interface { get; init; }

    public string? CapturePath { get; init; }
    public string? RecordPath { get; init; }

    /// <summary>Overrides telemetry.broker (and enables telemetry).</summary>
    public string? Broker { get; init; }

    /// <summary>Bench randomisation seed.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Opens the GPIO drivers of the brake release outputs (null: the robot's; the bench's brake model in tests).</summary>
    public Rt.Drivers.Gpio.GpioDriverFactory? BrakeGpioDrivers { get; init; }

    /// <summary>Add a trace hasher sink (tests: determinism).</summary>
    public bool HashTrace { get; init; }

    /// <summary>Folder for the safety log, flight records and the telemetry outbox; null: ./rt-state.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>Bench only: joint angles (rad) by joint name the emulated robot starts at (e.g. one joint outside its range, to practise recovery by hand); null: the bench's default pose.</summary>
    public IReadOnlyDictionary<string, double>? InitialPose { get; init; }

    /// <summary>Operator enables motion at start (rt run does; scans and some tests do not).</summary>
    public bool EnableMotion { get; init; } = true;
}
