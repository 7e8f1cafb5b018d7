using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Rt.Core.Tick;

namespace Rt.Safety.Jog;

/// <summary>
/// Homing by hand over the local reset socket (a Unix socket: local by construction, never the network). The client
/// (<c>rt home</c>) sends <c>home &lt;joint&gt;</c>; the answer is one line: <c>error: …</c> (bad input: unknown joint,
/// no homing set-up), <c>refused: …</c> (the supervisor does not permit recovery, a joint moves, a jog runs…) or
/// <c>homing &lt;joint&gt; … renew within &lt;s&gt; s</c>. Then the connection is the button: each <c>hold</c> renews
/// the hold and is answered <c>at &lt;q&gt; rad (&lt;phase&gt;)</c> or, once it ended, <c>attained: …</c> or
/// <c>stopped: &lt;why&gt; …</c>; <c>release</c>, a closed connection or a late renewal interrupts it (the tick judges
/// the deadline on its own clock). Not real-time safe.
/// </summary>
public sealed class HomingSocketCommands(HomingMode homing, TimeProvider? time = null) : ILocalCommands
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public bool TryHandle(string command, Socket client)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(client);
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0 || words[0] != "home") return false;
        if (words.Length != 2)
        {
            Reply(client, "error: expected 'home <joint>'");
            return true;
        }
        int joint = -1;
        for (int i = 0; i < homing.JointNames.Count; i++) if (homing.JointNames[i] == words[1]) joint = i;
        if (joint < 0)
        {
            Reply(client, $"error: unknown joint '{words[1]}'; expected one of {string.Join(", ", homing.JointNames)}");
            return true;
        }
        if (!homing.HasHoming(joint))
        {
            Reply(client, $"error: '{words[1]}' has no homing set-up (homing.joints): its encoder is taken as absolute");
            return true;
        }
        long seq = homing.Submit(HomingCommandKind.Start, JogSource.LocalResetSocket, joint);
        if (seq < 0)
        {
            Reply(client, "error: busy: the homing queue is full; try again");
            return true;
        }
        if (!WaitHandled(seq, out var st))
        {
            homing.Submit(HomingCommandKind.Release, JogSource.LocalResetSocket, joint); // withdrawn: a later tick homes nothing
            Reply(client, JogSocketCommands.NoAnswer);
            return true;
        }
        if (st.StartOutcome != HomingEventKind.Started)
        {
            Reply(client, "refused: " + Refusal(st));
            return true;
        }
        Reply(client, $"homing {words[1]} from {F(st.PositionRad)} rad; hold-to-run: renew within {F(homing.HoldTimeout.TotalSeconds)} s");
        Hold(client, joint);
        return true;
    }

    private static string Refusal(in HomingStatus st) => st.StartOutcome switch
    {
        HomingEventKind.RefusedNotDisabled => st.Supervisor is SafetyState.Disabled or SafetyState.Stopped or SafetyState.Faulted
            ? $"the supervisor is {st.Supervisor} and a cause other than a position limit persists; clear it first (rt safety-log names it)"
            : $"the supervisor is {st.Supervisor}: homing runs only on a robot that is Disabled or latched, never beside a running motion",
        HomingEventKind.RefusedMoving => "a joint is moving; homing starts from standstill only",
        HomingEventKind.RefusedBusy => "a jog or another homing is running",
        HomingEventKind.RefusedNetwork => "homing requests from the network are refused",
        _ => st.StartOutcome.ToString(),
    };

    private void Hold(Socket client, int joint) =>
        HoldToRunConnection.Run(client, homing.HoldTimeout, "homing", new HomingSteps(this, homing, joint));

    private sealed class HomingSteps(HomingSocketCommands owner, HomingMode homing, int joint) : HoldToRunConnection.ISteps
    {
        public void LetGo() => homing.Submit(HomingCommandKind.Release, JogSource.LocalResetSocket, joint);

        public string Release()
        {
            owner.WaitHandled(homing.Submit(HomingCommandKind.Release, JogSource.LocalResetSocket, joint), out _);
            var end = homing.Status;
            return Ended(end) ?? $"stopped: released at {F(end.PositionRad)} rad; supervisor {end.Supervisor}";
        }

        public string? EndedByHost() => Ended(homing.Status);

        public string Renew()
        {
            var st = homing.Status;
            homing.Submit(HomingCommandKind.Hold, JogSource.LocalResetSocket, joint);
            return $"at {F(st.PositionRad)} rad ({st.Phase})";
        }
    }

    /// <summary>The final line once the run has ended, else null.</summary>
    private static string? Ended(in HomingStatus st) => st.EndEvent switch
    {
        HomingEventKind.Started => null,
        HomingEventKind.Attained => $"attained: homed, the joint reads {F(st.PositionRad)} rad; supervisor {st.Supervisor}",
        HomingEventKind.Failed => $"stopped: the drive reported a homing error (statusword bit 13) at {F(st.PositionRad)} rad; supervisor {st.Supervisor}",
        HomingEventKind.TimedOut => $"stopped: homing not attained within homing.timeout_s at {F(st.PositionRad)} rad; supervisor {st.Supervisor}",
        HomingEventKind.HoldReleased => $"stopped: hold released (no renewal in time) at {F(st.PositionRad)} rad; supervisor {st.Supervisor}",
        HomingEventKind.StoppedByTrip => $"stopped: the supervisor tripped or no longer permits recovery at {F(st.PositionRad)} rad; supervisor {st.Supervisor}",
        HomingEventKind.StoppedDriveNotEnabled => $"stopped: a drive did not reach or left operation enabled at {F(st.PositionRad)} rad; supervisor {st.Supervisor}",
        HomingEventKind.StoppedOverspeed => $"stopped: the joint moved faster than its homing speeds at {F(st.PositionRad)} rad; supervisor {st.Supervisor}",
        _ => $"stopped: {st.EndEvent} at {F(st.PositionRad)} rad; supervisor {st.Supervisor}",
    };

    private bool WaitHandled(long seq, out HomingStatus status)
    {
        long start = _time.GetTimestamp();
        while (_time.GetElapsedTime(start) < AnswerTimeout)
        {
            status = homing.Status;
            if (status.CommandSeq >= seq) return true;
            Thread.Sleep(1);
        }
        status = homing.Status;
        return false;
    }

    private static string F(double v) => v.ToString("0.####", Inv);

    private static void Reply(Socket client, string line) => client.Send(Encoding.UTF8.GetBytes(line + "\n"));
}

/// <summary>Several command sets on one local socket: the first that knows the command answers it. Not real-time safe.</summary>
public sealed class LocalCommandSet(params ILocalCommands[] sets) : ILocalCommands
{
    public bool TryHandle(string command, Socket client)
    {
        foreach (var s in sets)
            if (s.TryHandle(command, client)) return true;
        return false;
    }
}
