namespace Rt.Core.Tick;

// The tick's stages. Every method here is called from the real-time thread once per tick and must be
// real-time safe: no allocation, no blocking, no exceptions for control flow, no I/O except the bus frame.
// Preparation (sizing, opening devices, reading files) happens in constructors or Prepare methods, off the tick.

/// <summary>Exchanges one cycle of process data: sends <see cref="TickState.Image"/>'s outputs, fills its inputs, adds bus faults.</summary>
public interface IFieldbus
{
    /// <summary>Real-time safe.</summary>
    void Exchange(TickState state);
}

/// <summary>The digital twin: predicts, compares, corrects; fills <see cref="TickState.Divergence"/>.</summary>
public interface ITwinStage
{
    /// <summary>Real-time safe.</summary>
    void Step(TickState state);
}

/// <summary>Motion generation: writes <see cref="TickState.TargetPosition"/> and friends.</summary>
public interface IMotionController
{
    /// <summary>Real-time safe.</summary>
    void Update(TickState state);
}

/// <summary>The safety gate: decides <see cref="TickState.PowerRequest"/> and may override targets.</summary>
public interface ISafetyGate
{
    /// <summary>Real-time safe.</summary>
    void Evaluate(TickState state);
}

/// <summary>Hands the tick's record to telemetry/recording: one ring push, never waits.</summary>
public interface ITickSink
{
    /// <summary>Real-time safe.</summary>
    void Enqueue(TickState state);
}
