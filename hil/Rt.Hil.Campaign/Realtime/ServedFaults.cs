using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Hil;
using Rt.Hil.Esc.Segment;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Realtime;

/// <summary>A control command checked against the served bench: for a start, the resolved injection, ready for the frame thread.</summary>
public sealed class PreparedFault
{
    internal PreparedFault(ControlCommand command, BenchInjection? start)
    {
        Command = command;
        Start = start;
    }

    public ControlCommand Command { get; }

    /// <summary>The resolved injection (null for an end line: the frame thread ends the one in force).</summary>
    internal BenchInjection? Start { get; }

    /// <summary>A collision obstacle sampled its link one frame ago and is placed on the next boundary.</summary>
    internal bool Armed { get; set; }
}

/// <summary>
/// Applies injections to the bench served by <c>rt hil serve</c> (its MuJoCo plant, emulated drives and IMUs, and the
/// emulated slave chain), with the same <see cref="BenchInjection"/> the lockstep runner uses, so a fault means the
/// same thing in both modes. <see cref="Prepare"/> runs on the control socket's thread and checks every name;
/// <see cref="Apply"/> runs on the frame thread between two frames. Apply allocates only at an injection's edges (the
/// table of injections in force; payload and friction go through MuJoCo's setters): acceptable because this is the
/// emulated world's thread, not the host's tick, and it happens once per edge.
/// </summary>
public sealed class ServedFaults
{
    private readonly Bench _bench;
    private readonly EscSegment _segment;
    private readonly RtConfig _config;
    private readonly Dictionary<(InjectionKind, string?), BenchInjection> _inForce = [];

    public ServedFaults(Bench bench, EscSegment segment, RtConfig config)
    {
        _bench = bench;
        _segment = segment;
        _config = config;
    }

    /// <summary>Injection edges applied so far (the frame thread counts).</summary>
    public long Applied { get; private set; }

    /// <summary>Not real-time safe. Resolves names; null with the reason (the field named) if this bench cannot take it.</summary>
    public PreparedFault? Prepare(ControlCommand command, out string error)
    {
        error = "";
        if (command.End) return new PreparedFault(command, null);
        try
        {
            var start = BenchInjection.Prepare(command.Injection, 0, _bench, _segment, _config, broker: null, realtime: true, "control socket");
            return new PreparedFault(command, start);
        }
        catch (InputError e)
        {
            // "line 0, key injections[0].target" → the protocol's own field name.
            int dot = e.Location.LastIndexOf('.');
            string field = dot >= 0 ? e.Location[(dot + 1)..] : "kind";
            error = $"field '{field}': {e.Problem}";
            return null;
        }
    }

    /// <summary>
    /// Frame thread, between frames. Returns false when the fault needs one more boundary: a collision obstacle first
    /// samples where its link is (to learn which way it moves, as the lockstep injector does one tick ahead) and is
    /// placed on the next call.
    /// </summary>
    public bool Apply(PreparedFault f)
    {
        var key = (f.Command.Injection.Kind, f.Command.Injection.Target);
        if (f.Command.End)
        {
            if (_inForce.Remove(key, out var running)) running.End();
            Applied++;
            return true;
        }
        var inj = f.Start!;
        if (inj.Injection.Kind == InjectionKind.CollisionObstacle && !f.Armed)
        {
            inj.Arm();
            f.Armed = true;
            return false;
        }
        // A second start on a target already in force replaces it (ended first, so its restore value is the original).
        if (_inForce.Remove(key, out var previous)) previous.End();
        inj.Start();
        if (inj.Active) _inForce[key] = inj; // frame loss and SAFE-OP are instantaneous
        Applied++;
        return true;
    }
}
