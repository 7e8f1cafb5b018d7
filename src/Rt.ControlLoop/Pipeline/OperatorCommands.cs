namespace Rt.ControlLoop.Pipeline;

/// <summary>
/// The operator's intent as the tick sees it: whether motion is requested. Written by the host (command line, local
/// panel), read once per tick. Motion is never requested at power-on: the supervisor enables only on a request that
/// rises after it has seen "not requested", so the request is raised from <see cref="EnableFromTick"/> on.
/// Real-time safe to read.
/// </summary>
public sealed class OperatorCommands
{
    private volatile bool _enable;
    private long _enableFromTick;

    public bool Enable
    {
        get => _enable;
        set => _enable = value;
    }

    /// <summary>First tick at which an enabled request is visible to the tick.</summary>
    public long EnableFromTick
    {
        get => Volatile.Read(ref _enableFromTick);
        set => Volatile.Write(ref _enableFromTick, value);
    }

    /// <summary>Real-time safe.</summary>
    public bool MotionRequested(long tick) => _enable && tick >= Volatile.Read(ref _enableFromTick);
}
