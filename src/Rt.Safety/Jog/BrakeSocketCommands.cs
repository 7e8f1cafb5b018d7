using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Rt.Safety.Jog;

/// <summary>
/// Brakes released by hand over the local reset socket (a Unix socket: local by construction, never the network).
/// <c>brake release &lt;joint&gt;</c> is answered with one line: <c>error: …</c> (bad input: unknown joint, joint without
/// a release output, a host without any), <c>refused: …</c> (the robot is enabled, a manual motion runs…) or
/// <c>released &lt;joint&gt; at &lt;q&gt; rad; hold-to-run: renew within &lt;s&gt; s</c>. Then the connection is the button:
/// each <c>hold</c> renews it (<c>at &lt;q&gt; rad</c>, or <c>engaged: …</c> once the tick has closed the brake);
/// <c>release</c> (the operator lets go), a closed connection or a late renewal engages it (the tick judges the deadline
/// on its own clock). <c>brake engage &lt;joint&gt;|all</c> closes brakes at once. Not real-time safe.
/// </summary>
public sealed class BrakeSocketCommands(BrakeHold? brakes, IReadOnlyList<string> jointNames, IReadOnlyList<string> brakedJoints, TimeProvider? time = null) : ILocalCommands
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(2);
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public bool TryHandle(string command, Socket client)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(client);
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0 || words[0] != "brake") return false;
        if (words.Length != 3 || words[1] is not ("release" or "engage"))
        {
            Reply(client, "error: expected 'brake release <joint>' or 'brake engage <joint>|all'");
            return true;
        }
        if (brakes == null)
        {
            Reply(client, "error: this host has no brake release outputs (brakes[].release_output or release_by_drive in its config)");
            return true;
        }
        if (words[1] == "engage" && words[2] == "all")
        {
            EngageAll(client);
            return true;
        }
        int joint = IndexOf(jointNames, words[2]);
        if (joint < 0)
        {
            Reply(client, $"error: unknown joint '{words[2]}'; expected one of {string.Join(", ", jointNames)}");
            return true;
        }
        if (!brakes.CanRelease(joint))
        {
            Reply(client, $"error: '{words[2]}' has no brake this host can release (brakes[].release_output or release_by_drive){(brakedJoints.Count > 0 ? "; braked joints: " + string.Join(", ", brakedJoints) : "")}");
            return true;
        }
        if (words[1] == "engage")
        {
            if (!WaitHandled(brakes.Submit(BrakeCommandKind.Engage, JogSource.LocalResetSocket, joint), out var e))
                Reply(client, "no answer: the supervisor is not ticking");
            else Reply(client, $"engaged {words[2]} at {F(e.PositionRad)} rad");
            return true;
        }
        long seq = brakes.Submit(BrakeCommandKind.Release, JogSource.LocalResetSocket, joint);
        if (!WaitHandled(seq, out var st))
        {
            brakes.Submit(BrakeCommandKind.Engage, JogSource.LocalResetSocket, joint); // withdrawn: a later tick releases nothing
            Reply(client, JogSocketCommands.NoAnswer);
            return true;
        }
        if (st.LastEvent != BrakeEventKind.Released || !st.Released)
        {
            Reply(client, "refused: " + Refusal(st.LastEvent));
            return true;
        }
        Reply(client, $"released {words[2]} at {F(st.PositionRad)} rad; hold-to-run: renew within {F(brakes.HoldTimeout.TotalSeconds)} s");
        Hold(client, joint, words[2]);
        return true;
    }

    private static string Refusal(BrakeEventKind kind) => kind switch
    {
        BrakeEventKind.RefusedNotDisabled => "the robot is enabled, its drive is in operation enabled, or a jog or homing runs: a brake is released only on a Disabled robot with the joint's drive off",
        BrakeEventKind.RefusedNetwork => "brake releases from the network are refused",
        BrakeEventKind.RefusedJoint => "the joint has no brake release output",
        _ => $"{kind} (the safety log may be full)",
    };

    private void EngageAll(Socket client)
    {
        long last = -1;
        int n = 0;
        for (int j = 0; j < jointNames.Count; j++)
        {
            if (!brakes!.CanRelease(j)) continue;
            last = brakes.Submit(BrakeCommandKind.Engage, JogSource.LocalResetSocket, j);
            n++;
        }
        if (n == 0) Reply(client, "engaged: no joint has a brake release output");
        else if (last < 0 || !WaitHandled(last, out _)) Reply(client, "no answer: the supervisor is not ticking");
        else Reply(client, $"engaged {n.ToString(Inv)} brake(s)");
    }

    private void Hold(Socket client, int joint, string name) =>
        HoldToRunConnection.Run(client, brakes!.HoldTimeout, "a brake is released", new BrakeSteps(this, brakes, joint, name));

    private sealed class BrakeSteps(BrakeSocketCommands owner, BrakeHold brakes, int joint, string name) : HoldToRunConnection.ISteps
    {
        public void LetGo() => brakes.Submit(BrakeCommandKind.Engage, JogSource.LocalResetSocket, joint);

        public string Release()
        {
            owner.WaitHandled(brakes.Submit(BrakeCommandKind.Engage, JogSource.LocalResetSocket, joint), out var end);
            return $"engaged: {name} braked again at {F(end.PositionRad)} rad";
        }

        public string? EndedByHost()
        {
            var st = brakes.Status;
            return st.Joint == joint && !st.Released
                ? $"engaged: the host closed the brake of {name} (hold timeout, the robot may move, or a fault) at {F(st.PositionRad)} rad"
                : null;
        }

        public string Renew()
        {
            var st = brakes.Status;
            brakes.Submit(BrakeCommandKind.Hold, JogSource.LocalResetSocket, joint);
            return $"at {F(st.PositionRad)} rad (released)";
        }
    }

    private bool WaitHandled(long seq, out BrakeStatus status)
    {
        status = brakes!.Status;
        if (seq < 0) return false;
        long start = _time.GetTimestamp();
        while (_time.GetElapsedTime(start) < AnswerTimeout)
        {
            status = brakes.Status;
            if (status.CommandSeq >= seq) return true;
            Thread.Sleep(1);
        }
        status = brakes.Status;
        return false;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++) if (names[i] == name) return i;
        return -1;
    }

    private static string F(double v) => v.ToString("0.####", Inv);

    private static void Reply(Socket client, string line) => client.Send(Encoding.UTF8.GetBytes(line + "\n"));
}
