using Rt.Core.Tick;
using Rt.Drivers.Cia402;

namespace Rt.ControlLoop.Tests;

/// <summary>
/// A stand-in bus for testing the loop's own logic: each drive walks the CiA 402 states on the controlwords it is
/// sent and lands exactly on its target position. Physics and the real drive model are tested on the MuJoCo bench.
/// </summary>
internal sealed class IdealDrives : IFieldbus
{
    private readonly DriveState[] _states;
    public int Exchanges;

    public IdealDrives(int count)
    {
        _states = new DriveState[count];
        Array.Fill(_states, DriveState.SwitchOnDisabled);
    }

    public bool FailDrive { get; set; }

    public void Exchange(TickState s)
    {
        Exchanges++;
        for (int i = 0; i < _states.Length; i++)
        {
            ref var o = ref s.Image.Outputs[i];
            ref var input = ref s.Image.Inputs[i];
            _states[i] = (_states[i], o.Controlword & 0x8F) switch
            {
                (_, _) when FailDrive && i == 0 => DriveState.Fault,
                (DriveState.Fault, 0x80) => DriveState.SwitchOnDisabled,
                (DriveState.SwitchOnDisabled, 0x06) => DriveState.ReadyToSwitchOn,
                (DriveState.ReadyToSwitchOn, 0x07) => DriveState.SwitchedOn,
                (DriveState.SwitchedOn, 0x0F) => DriveState.OperationEnabled,
                (DriveState.OperationEnabled, 0x0F) => DriveState.OperationEnabled,
                (DriveState.Fault, _) => DriveState.Fault,
                (_, 0x00) => DriveState.SwitchOnDisabled,
                (var st, _) => st,
            };
            input.Statusword = _states[i] switch
            {
                DriveState.SwitchOnDisabled => 0x0250,
                DriveState.ReadyToSwitchOn => 0x0231,
                DriveState.SwitchedOn => 0x0233,
                DriveState.OperationEnabled => 0x0237,
                DriveState.Fault => 0x0218,
                _ => 0,
            };
            if (_states[i] == DriveState.OperationEnabled) input.PositionActual = o.TargetPosition;
        }
    }
}
