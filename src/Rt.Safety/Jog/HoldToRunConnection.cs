using System.Net.Sockets;
using System.Text;

namespace Rt.Safety.Jog;

/// <summary>
/// The local socket connection as a hold-to-run button, shared by jog, homing and brake release: the client sends
/// "hold" to renew and "release" to let go; silence for the hold timeout, a closed connection or any other line lets go
/// too (the tick also ends the hold on its own clock). Each step's wording and commands come from the caller.
/// Not real-time safe (socket thread).
/// </summary>
internal static class HoldToRunConnection
{
    /// <summary>What one manual mode does at each step of the connection.</summary>
    internal interface ISteps
    {
        /// <summary>The client let go without a word (silence, closed): submit the release, no answer.</summary>
        void LetGo();

        /// <summary>The client sent "release": submit it, wait for the tick, and say how it ended.</summary>
        string Release();

        /// <summary>The answer when the tick has already ended the hold on its own, else null.</summary>
        string? EndedByHost();

        /// <summary>Renew the hold; the line to answer.</summary>
        string Renew();
    }

    /// <summary>Runs the connection until the hold ends; <paramref name="what"/> names the mode in error lines.</summary>
    public static void Run(Socket client, TimeSpan holdTimeout, string what, ISteps steps)
    {
        client.ReceiveTimeout = Math.Max(1, (int)Math.Ceiling(holdTimeout.TotalMilliseconds));
        using var stream = new NetworkStream(client, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        while (true)
        {
            string? line;
            try { line = reader.ReadLine(); }
            catch (IOException) { line = null; } // no renewal within the hold timeout: the tick ends it on its own clock
            if (line is null)
            {
                steps.LetGo();
                return;
            }
            line = line.Trim();
            if (line == "release")
            {
                Reply(client, steps.Release());
                return;
            }
            if (line != "hold")
            {
                Reply(client, $"error: unknown command '{line}' while {what}; expected 'hold' or 'release'");
                steps.LetGo();
                return;
            }
            if (steps.EndedByHost() is { } ended)
            {
                Reply(client, ended);
                return;
            }
            Reply(client, steps.Renew());
        }
    }

    private static void Reply(Socket client, string line) => client.Send(Encoding.UTF8.GetBytes(line + "\n"));
}
