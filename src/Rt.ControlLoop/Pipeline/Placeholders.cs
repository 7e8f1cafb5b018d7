using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.ControlLoop.Pipeline;

/// <summary>A twin that predicts nothing: used when the twin is disabled in the config. Real-time safe.</summary>
public sealed class DisabledTwin : ITwinStage
{
    public void Step(TickState state)
    {
        state.Divergence.Valid = false;
        state.Divergence.Tick = state.Tick;
        state.Divergence.TimeNs = state.TimeNs;
    }
}

/// <summary>
/// The minimum gate the loop may run with when no supervisor is configured (tests of the loop itself): power while
/// motion is requested and no fault has ever been seen; the first fault latches power off for good.
/// Not a safety function — the real gate is Rt.Safety's supervisor. Real-time safe.
/// </summary>
public sealed class LatchingFaultGate : ISafetyGate
{
    public bool Latched { get; private set; }
    public Fault FirstFault { get; private set; }

    public void Evaluate(TickState state)
    {
        if (!Latched && state.Faults.Count > 0)
        {
            Latched = true;
            FirstFault = state.Faults.Items[0];
        }
        bool run = state.MotionRequested && !Latched;
        state.PowerRequest = run ? DrivePowerRequest.Operate : DrivePowerRequest.Off;
        state.SafetyState = Latched ? SafetyState.Faulted : run ? (state.AllDrivesOperational ? SafetyState.Operational : SafetyState.Enabling) : SafetyState.Disabled;
        state.TargetsOverridden = false;
        state.DriveFaultReset = false;
    }
}
