using System.Net.Sockets;
using System.Text;

namespace Rt.Safety;

/// <summary>How a reset request ended, as the reset socket answered it (or could not).</summary>
public enum ResetReplyKind : byte
{
    /// <summary>The supervisor accepted the reset (it goes Resetting → Disabled).</summary>
    Accepted,

    /// <summary>Refused: a cause persists (the message names it).</summary>
    Refused,

    /// <summary>Nothing was latched: nothing to reset.</summary>
    Ignored,

    /// <summary>The server answered but the supervisor did not decide in time (not ticking), or no reply in the timeout.</summary>
    NoAnswer,

    /// <summary>The server did not understand the command.</summary>
    Error,

    /// <summary>The socket could not be reached (missing, permission denied: not in the operator group).</summary>
    Unreachable,
}

/// <summary>The reply to one reset request: its kind and the server's line (or why there was none).</summary>
public readonly record struct ResetReply(ResetReplyKind Kind, string Message)
{
    public bool Accepted => Kind == ResetReplyKind.Accepted;
}

/// <summary>
/// The client side of <see cref="LocalResetSocket"/> (for <c>rt reset</c>): connects to the Unix socket, sends one
/// command and waits for the reply line, all within one timeout. Never throws for socket trouble: the reply says what
/// happened. Not real-time safe.
/// </summary>
public static class LocalResetClient
{
    /// <param name="path">The reset socket (<c>safety.reset_socket</c>, resolved).</param>
    /// <param name="timeout">For the whole exchange; give more than the server's answer timeout (2 s) to see its verdict.</param>
    /// <param name="command">"reset"; anything else is answered with an error.</param>
    public static ResetReply Send(string path, TimeSpan timeout, string command = "reset")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        int ms = Math.Max(1, (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds)));
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { SendTimeout = ms, ReceiveTimeout = ms };
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            return new ResetReply(ResetReplyKind.Unreachable, $"cannot reach the reset socket {path}: {e.Message}");
        }
        try
        {
            s.Send(Encoding.ASCII.GetBytes(command + "\n"));
            var buf = new byte[512];
            int total = 0, n;
            while ((n = s.Receive(buf, total, buf.Length - total, SocketFlags.None)) > 0)
            {
                total += n;
                if (buf[total - 1] == (byte)'\n' || total == buf.Length) break;
            }
            if (total == 0) return new ResetReply(ResetReplyKind.NoAnswer, $"the reset socket {path} closed without a reply");
            string line = Encoding.UTF8.GetString(buf, 0, total).TrimEnd('\n');
            return new ResetReply(Classify(line), line);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            return new ResetReply(ResetReplyKind.NoAnswer, $"no reply from the reset socket {path} within {timeout.TotalSeconds:0.###} s");
        }
        catch (SocketException e)
        {
            return new ResetReply(ResetReplyKind.Unreachable, $"the reset socket {path} failed: {e.Message}");
        }
    }

    private static ResetReplyKind Classify(string line) =>
        line == "accepted" ? ResetReplyKind.Accepted
        : line.StartsWith("refused", StringComparison.Ordinal) ? ResetReplyKind.Refused
        : line.StartsWith("ignored", StringComparison.Ordinal) ? ResetReplyKind.Ignored
        : line.StartsWith("no answer", StringComparison.Ordinal) ? ResetReplyKind.NoAnswer
        : ResetReplyKind.Error;
}
