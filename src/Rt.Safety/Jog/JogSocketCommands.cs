using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Rt.Core.Tick;

namespace Rt.Safety.Jog;

/// <summary>Commands beyond <c>reset</c> on the local reset socket. Not real-time safe (the socket's thread).</summary>
public interface ILocalCommands
{
    /// <summary>Handles <paramref name="command"/> (its first line) on <paramref name="client"/>; false when it is not one of these.</summary>
    bool TryHandle(string command, Socket client);
}

/// <summary>
/// Hold-to-run jog over the local reset socket (a Unix socket: local by construction, never the network). The client
/// (<c>rt jog</c>) sends <c>jog &lt;joint&gt; &lt;+|-&gt; [speed rad/s]</c>; the answer is one line, <c>error: …</c>
/// (bad input), <c>refused: …</c> (the jog would move away from the range, the supervisor does not permit recovery…)
/// or <c>jogging … renew within &lt;s&gt; s</c>. Then the connection is the button: each <c>hold</c> line renews
/// the hold (answered <c>at &lt;q&gt; rad</c> or, once the jog ended, <c>stopped: &lt;why&gt; …</c>); <c>release</c>,
/// a closed connection or a renewal later than the hold timeout stops the joint (the tick judges the deadline on its own
/// clock). Not real-time safe.
/// </summary>
public sealed class JogSocketCommands(JogMode jog, IReadOnlyList<(double Min, double Max)> ranges, TimeProvider? time = null) : ILocalCommands
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public bool TryHandle(string command, Socket client)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0 || words[0] != "jog") return false;
        if (Parse(words, out int joint, out int direction, out double speed) is { } error)
        {
            Reply(client, "error: " + error);
            return true;
        }
        long seq = jog.Submit(JogCommandKind.Start, JogSource.LocalResetSocket, joint, direction, speed);
        if (seq < 0)
        {
            Reply(client, "error: busy: the jog queue is full; try again");
            return true;
        }
        if (!WaitHandled(seq, out var st))
        {
            // The start stays queued: withdraw it behind, so a tick that comes later never moves a joint for an
            // operator who has been told there was no answer (the tick handles both in order, in one tick).
            jog.Submit(JogCommandKind.Release, JogSource.LocalResetSocket, joint, 0, 0);
            Reply(client, NoAnswer);
            return true;
        }
        if (st.StartOutcome != JogEventKind.Started)
        {
            Reply(client, "refused: " + Refusal(st, joint, direction, speed));
            return true;
        }
        string name = jog.JointNames[joint];
        Reply(client, $"jogging {name} {(direction > 0 ? "+" : "-")} at {F(speed)} rad/s from {F(st.PositionRad)} rad; hold-to-run: renew within {F(jog.HoldTimeout.TotalSeconds)} s");
        Hold(client, joint);
        return true;
    }

    private string? Parse(string[] w, out int joint, out int direction, out double speed)
    {
        (joint, direction, speed) = (-1, 0, jog.DefaultSpeedRadS);
        if (w.Length is < 3 or > 4) return "expected 'jog <joint> <+|-> [speed rad/s]'";
        joint = IndexOf(w[1]);
        if (joint < 0) return $"unknown joint '{w[1]}'; expected one of {string.Join(", ", jog.JointNames)}";
        direction = w[2] switch { "+" => 1, "-" => -1, _ => 0 };
        if (direction == 0) return $"direction '{w[2]}'; expected + or -";
        if (w.Length == 4 && !double.TryParse(w[3], NumberStyles.Float, Inv, out speed)) return $"speed '{w[3]}' is not a number; expected rad/s";
        double max = jog.MaxSpeedRadS(joint);
        if (w.Length == 4 && !(speed > 0 && speed <= max))
            return $"speed {F(speed)} rad/s for {w[1]}; expected more than 0 and at most {F(max)} rad/s (jog.max_speed_rad_s, jog.joint_max_speed_rad_s)";
        if (speed > max) speed = max; // the default speed never exceeds a joint's own bound
        return null;
    }

    private int IndexOf(string name)
    {
        for (int i = 0; i < jog.JointNames.Count; i++) if (jog.JointNames[i] == name) return i;
        return -1;
    }

    private string Refusal(in JogStatus st, int joint, int direction, double speed)
    {
        string name = jog.JointNames[joint];
        var (min, max) = ranges[joint];
        return st.StartOutcome switch
        {
            JogEventKind.RefusedDirection =>
                $"{name} is at {F(st.PositionRad)} rad, outside its range [{F(min)}, {F(max)}] rad: jog only toward the range (direction {(st.PositionRad < min ? "+" : "-")}), not {(direction > 0 ? "+" : "-")}",
            JogEventKind.RefusedNotDisabled => st.Supervisor is SafetyState.Disabled or SafetyState.Stopped or SafetyState.Faulted
                ? $"the supervisor is {st.Supervisor} and a cause other than a position limit persists (e-stop, drive fault…); clear it first (rt safety-log names it)"
                : $"the supervisor is {st.Supervisor}: jog recovers a robot that is Disabled or latched, never beside a running motion",
            JogEventKind.RefusedSpeed => $"speed {F(speed)} rad/s above the jog bound of {name}",
            JogEventKind.RefusedNetwork => "jog requests from the network are refused",
            _ => $"{st.StartOutcome}",
        };
    }

    /// <summary>The connection as the button: renewals until it ends.</summary>
    private void Hold(Socket client, int joint) =>
        HoldToRunConnection.Run(client, jog.HoldTimeout, "jogging", new JogSteps(this, jog, joint));

    private sealed class JogSteps(JogSocketCommands owner, JogMode jog, int joint) : HoldToRunConnection.ISteps
    {
        public void LetGo() => jog.Submit(JogCommandKind.Release, JogSource.LocalResetSocket, joint, 0, 0);

        public string Release()
        {
            owner.WaitHandled(jog.Submit(JogCommandKind.Release, JogSource.LocalResetSocket, joint, 0, 0), out _);
            var end = jog.Status;
            return $"stopped: released at {F(end.PositionRad)} rad; supervisor {end.Supervisor}";
        }

        public string? EndedByHost()
        {
            var st = jog.Status;
            return st.Phase is JogPhase.Settling or JogPhase.Idle && st.LastEvent != JogEventKind.Started
                ? $"stopped: {Why(st.LastEvent)} at {F(st.PositionRad)} rad; supervisor {st.Supervisor}"
                : null;
        }

        public string Renew()
        {
            var st = jog.Status;
            jog.Submit(JogCommandKind.Hold, JogSource.LocalResetSocket, joint, 0, 0);
            return $"at {F(st.PositionRad)} rad ({st.Phase})";
        }
    }

    /// <summary>The answer when the tick did not take the request in time: it is withdrawn, nothing moves later.</summary>
    public const string NoAnswer = "no answer: the supervisor is not ticking; the request is withdrawn, nothing will move";

    private static string Why(JogEventKind k) => k switch
    {
        JogEventKind.ReachedRange => "reached the range",
        JogEventKind.HoldReleased => "hold released (no renewal in time)",
        JogEventKind.StoppedByTrip => "the supervisor tripped or no longer permits recovery",
        JogEventKind.StoppedDriveNotEnabled => "a drive did not reach or left operation enabled",
        JogEventKind.Settled => "settled",
        JogEventKind.Stopped => "stopped",
        _ => k.ToString(),
    };

    private bool WaitHandled(long seq, out JogStatus status)
    {
        long start = _time.GetTimestamp();
        while (_time.GetElapsedTime(start) < AnswerTimeout)
        {
            status = jog.Status;
            if (status.CommandSeq >= seq) return true;
            Thread.Sleep(1);
        }
        status = jog.Status;
        return false;
    }

    private static string F(double v) => v.ToString("0.####", Inv);

    private static void Reply(Socket client, string line) => client.Send(Encoding.UTF8.GetBytes(line + "\n"));
}
