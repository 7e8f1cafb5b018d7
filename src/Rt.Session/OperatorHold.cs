using Rt.Core.Tick;

namespace Rt.Session;

/// <summary>
/// The motion generator as the session runs it: while the operator requests motion, the configured controller; once
/// the request falls (an operator stop: SIGINT, SIGTERM, end of --duration), no new motion — every target is the
/// joint's own position, as the controller does with its drives off. The supervisor's operator-stop ramp then owns the
/// joints and is monitored against its own profile; without this the march would keep running in the targets under the
/// ramp and the following-error trigger would turn every operator stop mid-motion into a Cat 1 trip.
/// Real-time safe (no allocation, no branches on anything but the tick's state).
/// </summary>
public sealed class OperatorHold(IMotionController inner) : IMotionController
{
    public IMotionController Inner { get; } = inner;

    public void Update(TickState s)
    {
        if (s.MotionRequested || !s.AllDrivesOperational)
        {
            Inner.Update(s);
            return;
        }
        for (int i = 0; i < s.JointCount; i++)
        {
            s.TargetPosition[i] = s.Position[i];
            s.TargetVelocity[i] = 0;
            s.FeedforwardTorque[i] = 0;
        }
    }
}
