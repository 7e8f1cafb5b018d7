using Rt.Core.Concurrency;

namespace Rt.Safety.Jog;

/// <summary>
/// A joint's holding brake, as the drive or the brake model exposes it (the reaction helper's brake modelling plugs in
/// here). Real-time safe: the implementation only sets an output bit.
/// </summary>
public interface IBrakeOutputs
{
    int Joints { get; }

    /// <summary>True releases (opens) the brake of <paramref name="joint"/>; false engages it.</summary>
    void SetReleased(int joint, bool released);

    bool IsReleased(int joint);

    /// <summary>Real-time safe. Called once per tick after the brakes were set: outputs written off the tick engage every brake when it stops.</summary>
    void Heartbeat() { }

    /// <summary>Whether <paramref name="joint"/> has a brake this host can release (default: every joint).</summary>
    bool CanRelease(int joint) => (uint)joint < (uint)Joints;
}

public enum BrakeEventKind : byte
{
    Released,
    Engaged,
    RefusedNetwork,
    RefusedNotDisabled,
    RefusedJoint,
}

/// <summary>One brake command as logged in the safety log.</summary>
public readonly record struct BrakeEvent(long TimeNs, BrakeEventKind Kind, JogSource Source, short Joint);

/// <summary>
/// Brake release/engage by hand: from a local source only, and a release only while the supervisor is Disabled (a
/// joint without power and without brake may sag: that is the operator's recovery move, never a running program's).
/// Engaging is always allowed, from any local source. Every command and refusal is a <see cref="BrakeEvent"/> for the
/// safety log; a full ring refuses the release (never an unlogged brake release). Real-time safe.
/// </summary>
public sealed class BrakeCommands(IBrakeOutputs brakes, SpscRing<BrakeEvent> events)
{
    public long EventsLost { get; private set; }

    /// <summary>Real-time safe. Returns whether the brake is now released.</summary>
    public bool Release(JogSource source, int joint, bool supervisorDisabled, long nowNs)
    {
        var refusal = source == JogSource.Network ? BrakeEventKind.RefusedNetwork
            : !brakes.CanRelease(joint) ? BrakeEventKind.RefusedJoint
            : !supervisorDisabled ? BrakeEventKind.RefusedNotDisabled
            : BrakeEventKind.Released;
        if (refusal != BrakeEventKind.Released)
        {
            Log(nowNs, refusal, source, joint);
            return false;
        }
        if (!Log(nowNs, BrakeEventKind.Released, source, joint)) return false;
        brakes.SetReleased(joint, true);
        return true;
    }

    /// <summary>Real-time safe. Engages the brake (always, even if the event cannot be logged).</summary>
    public void Engage(JogSource source, int joint, long nowNs)
    {
        if ((uint)joint >= (uint)brakes.Joints)
        {
            Log(nowNs, BrakeEventKind.RefusedJoint, source, joint);
            return;
        }
        brakes.SetReleased(joint, false);
        Log(nowNs, BrakeEventKind.Engaged, source, joint);
    }

    private bool Log(long nowNs, BrakeEventKind kind, JogSource source, int joint)
    {
        if (events.TryPush(new BrakeEvent(nowNs, kind, source, (short)joint))) return true;
        EventsLost++;
        return false;
    }
}
