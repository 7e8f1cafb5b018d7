using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Rt.Safety;

/// <summary>
/// The local reset command: a Unix domain socket (never a network socket) whose file permissions decide who may
/// reset (0600 by default, 0660 for an operator group). A client sends <c>reset\n</c>; the server asks the supervisor
/// for a reset (an edge the next tick consumes) and replies with the outcome: <c>accepted</c>,
/// <c>refused: &lt;cause&gt; ...</c> or <c>ignored: nothing to reset</c>. Not real-time safe: runs its own thread.
/// Put the socket in a directory only the operator can reach (e.g. /run/rt, 0750).
/// </summary>
public sealed class LocalResetSocket : IDisposable
{
    private readonly SafetySupervisor _supervisor;
    private readonly Socket _listener;
    private readonly Thread _thread;
    private readonly TimeSpan _answerTimeout;
    private volatile bool _stopping;

    public LocalResetSocket(string path, SafetySupervisor supervisor,
        UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite, TimeSpan? answerTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(supervisor);
        if ((mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
            throw new ArgumentException("the reset socket must not be accessible to others (use 0600 or 0660)", nameof(mode));
        _supervisor = supervisor;
        _answerTimeout = answerTimeout ?? TimeSpan.FromSeconds(2);
        Path = path;
        if (File.Exists(path))
        {
            if (new FileInfo(path).Length > 0) // a socket has no content; a file with data is not ours to delete
                throw new IOException($"{path} exists and is a regular file, not a stale reset socket; refusing to remove it");
            File.Delete(path); // stale socket from a previous run
        }
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
        _listener.Listen(4);
        _thread = new Thread(Serve) { IsBackground = true, Name = "rt-reset-socket" };
        _thread.Start();
    }

    public string Path { get; }

    private void Serve()
    {
        while (!_stopping)
        {
            Socket client;
            try { client = _listener.Accept(); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            using (client)
            {
                try { Handle(client); }
                catch (SocketException) { } // client went away: nothing to answer
                catch (IOException) { }
            }
        }
    }

    private void Handle(Socket client)
    {
        var buf = new byte[64];
        int n = client.Receive(buf);
        string cmd = Encoding.ASCII.GetString(buf, 0, n).Trim();
        string reply;
        if (!string.Equals(cmd, "reset", StringComparison.Ordinal))
        {
            reply = $"error: unknown command '{cmd}'; expected 'reset'";
        }
        else
        {
            long before = _supervisor.LastResetOutcome.Sequence;
            _supervisor.RequestReset();
            reply = "no answer: the supervisor is not ticking";
            var deadline = DateTime.UtcNow + _answerTimeout;
            while (DateTime.UtcNow < deadline)
            {
                var o = _supervisor.LastResetOutcome;
                if (o.Sequence != before)
                {
                    reply = Describe(o);
                    break;
                }
                Thread.Sleep(1);
            }
        }
        client.Send(Encoding.UTF8.GetBytes(reply + "\n"));
    }

    /// <summary>The reply line for an outcome.</summary>
    public static string Describe(ResetOutcome o)
    {
        var inv = CultureInfo.InvariantCulture;
        if (o.Accepted) return "accepted";
        if (o.Cause == Rt.Core.Faults.FaultCode.None) return $"ignored: nothing to reset (state {o.State})";
        return $"refused: cause persists: {o.Cause} (0x{((ushort)o.Cause).ToString("X4", inv)}) channel {o.Channel.ToString(inv)} " +
               $"value {o.Value.ToString("G6", inv)} threshold {o.Threshold.ToString("G6", inv)}";
    }

    /// <summary>Sends one command to a reset socket and returns the reply line (for the CLI and tests).</summary>
    public static string Send(string path, string command = "reset")
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(path));
        s.Send(Encoding.ASCII.GetBytes(command + "\n"));
        var buf = new byte[512];
        int total = 0, n;
        while ((n = s.Receive(buf, total, buf.Length - total, SocketFlags.None)) > 0)
        {
            total += n;
            if (buf[total - 1] == (byte)'\n' || total == buf.Length) break;
        }
        return Encoding.UTF8.GetString(buf, 0, total).TrimEnd('\n');
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
        _thread.Join(TimeSpan.FromSeconds(2));
        try { File.Delete(Path); } catch (IOException) { }
    }
}
