using Rt.ControlLoop.Pipeline;
using Rt.Core.Tick;
using Rt.Hil.Drives;
using Rt.Drivers.Cia402;

namespace Rt.Hil.Tests;

/// <summary>The host's own drive layer (JointIo: CiA 402 axis logic and scaling) against the emulated drives and plant.</summary>
public class HostAxisIntegrationTests
{
    [Fact]
    public void Host_axis_logic_enables_every_drive_tracks_targets_powers_off_and_resets_a_fault()
    {
        var config = BenchFixtures.Config;
        using var bench = Bench.Create(config);
        var state = BenchFixtures.NewState(config);
        var io = new JointIo(config);
        int knee = BenchFixtures.JointIndex("r_knee");

        void Tick(DrivePowerRequest request, bool resetFault = false)
        {
            state.Faults.Clear();
            bench.Exchange(state);
            io.ReadInputs(state);
            state.PowerRequest = request;
            state.DriveFaultReset = resetFault;
            io.WriteOutputs(state);
            bench.Advance(bench.TickPeriodNs);
        }

        for (int t = 0; t < 5; t++) Tick(DrivePowerRequest.Operate);
        Assert.True(state.AllDrivesOperational);

        // Follow a slow ramp on the right knee, everything else holding zero.
        for (int t = 0; t < 600; t++)
        {
            state.TargetPosition[knee] = Math.Min(0.4, t / 1000.0);
            Tick(DrivePowerRequest.Operate);
        }
        Assert.Equal(0.4, state.Position[knee], 0.005);
        Assert.Equal(0.4, bench.Plant.JointPosition(knee), 0.005);

        Tick(DrivePowerRequest.Off);
        Tick(DrivePowerRequest.Off);
        Assert.All(bench.Drives, d => Assert.Equal(DriveState.SwitchOnDisabled, d.State));

        bench.Drives[knee].InjectFault(0x2310);
        Tick(DrivePowerRequest.Off);
        Tick(DrivePowerRequest.Off);
        Assert.Equal(DriveState.Fault, bench.Drives[knee].State);
        Tick(DrivePowerRequest.Off, resetFault: true);
        Tick(DrivePowerRequest.Off, resetFault: true);
        Assert.Equal(DriveState.SwitchOnDisabled, bench.Drives[knee].State);
        Assert.Equal(0, bench.Drives[knee].ErrorCode);
    }
}
