using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Host.Tests;

/// <summary>
/// `rt safety-log` prints a brake the collision hold closed under power (<see cref="FaultCode.HoldBrakeClosed"/>) as its
/// own line with the joint, the drive's torque and the travel since the trip, and never as a state change or a trigger.
/// </summary>
public sealed class SafetyLogBrakeRecordTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-safety-brake-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void A_brake_closed_under_power_is_one_line_naming_the_joint_torque_and_travel()
    {
        string path = Path.Combine(_dir, "rt-safety.log");
        using (var w = new SafetyLogWriter(path))
        {
            w.AppendSession("63f3566aed13ca99ba38efe08062cfcef392cdd61f9b0ad70062131edeabb813", 1);
            w.Append(new SafetyEvent(1, 3151, 3_151_000_000, SafetyState.Operational, SafetyState.Stopping, FaultCode.TwinDivergence, 40, StopCategory.Cat2, 104.5, 48.9), 2);
            w.Append(new SafetyEvent(2, 3217, 3_217_000_000, SafetyState.Stopping, SafetyState.Stopping, FaultCode.HoldBrakeClosed, 7, StopCategory.None, -80.01, 0.041), 3);
            w.Flush();
        }
        var (exit, output, err) = ErrorContractTests.Run(Path.Combine(AppContext.BaseDirectory, "rt.dll"), ["safety-log", path]);
        Assert.True(exit == 0, $"exit {exit}: {err}");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string brake = Assert.Single(lines, l => l.StartsWith("#2 ", StringComparison.Ordinal));
        Assert.EndsWith("tick 3217: Stopping: brake closed under power on joint 7 (trigger HoldBrakeClosed, 0x0904); drive torque -80.01 N·m, travel 0.041 rad since the trip", brake.TrimEnd());
        Assert.Contains(lines, l => l.StartsWith("#1 ", StringComparison.Ordinal) && l.Contains("Operational → Stopping", StringComparison.Ordinal));
    }
}
