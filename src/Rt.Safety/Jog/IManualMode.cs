using Rt.Core.Tick;

namespace Rt.Safety.Jog;

/// <summary>What the supervisor tells the manual mode each tick.</summary>
/// <param name="State">The supervisor's state after this tick's transition.</param>
/// <param name="Tripped">A stop trigger was confirmed this tick (in any state): a manual motion ends at once.</param>
/// <param name="RecoveryPermitted">The supervisor permits recovery by hand (<see cref="SafetySupervisor.RecoveryPermitted"/>).</param>
public readonly record struct ManualContext(SafetyState State, bool Tripped, bool RecoveryPermitted);

/// <summary>
/// Recovery by hand as the supervisor runs it (<see cref="SafetySupervisor.Manual"/>): a mode that may power the drives
/// while the supervisor is Disabled or latched with only a position limit persisting, under the supervisor's monitoring
/// (following error against <see cref="CommandedTargets"/>, every other trigger as usual). Real-time safe.
/// </summary>
public interface IManualMode
{
    /// <summary>
    /// Real-time safe. One tick, after the supervisor's decision and before it writes the power request: returns true
    /// when the manual mode powers the drives this tick, having written every joint's target.
    /// </summary>
    bool Step(TickState state, in ManualContext context);

    /// <summary>Real-time safe. The supervisor stopped the drives after <see cref="Step"/> (a lost event: Cat 0): end now.</summary>
    void Abort(TickState state);

    /// <summary>The targets sent in the last powered tick (the following error is measured against them).</summary>
    double[] CommandedTargets { get; }
}

/// <summary>
/// The value of a manual action's safety-log event (<c>FaultCode.ManualJog</c>, <c>ManualHoming</c>, <c>ManualBrake</c>):
/// what happened, from which source, in which direction, packed in one number so the log format stays as it is.
/// </summary>
public static class ManualEventCode
{
    /// <summary>kind × 100 + source × 10 + (direction + 1).</summary>
    public static double Encode(byte kind, JogSource source, int direction) => kind * 100 + (int)source * 10 + (Math.Clamp(direction, -1, 1) + 1);

    public static (byte Kind, JogSource Source, int Direction) Decode(double value)
    {
        int v = double.IsFinite(value) && value >= 0 && value < 100_000 ? (int)value : 0;
        return ((byte)(v / 100), (JogSource)(v / 10 % 10), v % 10 - 1);
    }

    /// <summary>Not real-time safe. The log line's text for a manual event, or null when <paramref name="e"/> is not one.</summary>
    public static string? Describe(in SafetyEvent e)
    {
        var (kind, source, dir) = Decode(e.Value);
        string src = source switch
        {
            JogSource.LocalInput => "local input",
            JogSource.LocalResetSocket => "local reset socket",
            JogSource.Network => "network",
            _ => $"source {(int)source}",
        };
        string at = e.Threshold.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);
        return e.Trigger switch
        {
            Core.Faults.FaultCode.ManualJog =>
                $"jog {(Enum.IsDefined((JogEventKind)kind) ? ((JogEventKind)kind).ToString() : kind.ToString(System.Globalization.CultureInfo.InvariantCulture))}: joint {e.Channel} direction {(dir > 0 ? "+" : dir < 0 ? "-" : "0")}, from the {src}, at {at} rad (supervisor {e.From})",
            Core.Faults.FaultCode.ManualHoming =>
                $"homing {(Enum.IsDefined((HomingEventKind)kind) ? ((HomingEventKind)kind).ToString() : kind.ToString(System.Globalization.CultureInfo.InvariantCulture))}: joint {e.Channel}, from the {src}, at {at} rad (supervisor {e.From})",
            Core.Faults.FaultCode.ManualBrake =>
                $"brake {(Enum.IsDefined((BrakeEventKind)kind) ? ((BrakeEventKind)kind).ToString() : kind.ToString(System.Globalization.CultureInfo.InvariantCulture))}: joint {e.Channel}, from the {src}, at {at} rad (supervisor {e.From})",
            _ => null,
        };
    }
}
