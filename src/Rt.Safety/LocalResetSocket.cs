using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Rt.Core.Config;
using Rt.Core.Errors;

namespace Rt.Safety;

/// <summary>
/// The local reset command: a Unix domain socket (never a network socket) whose file permissions decide who may
/// reset: 0600 by default, or 0660 with an operator group (<c>safety.reset_socket_mode</c> /
/// <c>safety.reset_socket_group</c>). A client sends <c>reset\n</c>; the server asks the supervisor for a reset (an
/// edge the next tick consumes) and replies with the outcome: <c>accepted</c>, <c>refused: &lt;cause&gt; ...</c> or
/// <c>ignored: nothing to reset</c>. A client must send its command within the receive timeout
/// (<c>safety.reset_socket_receive_timeout_s</c>) or it is dropped, so a silent client cannot block the others.
/// Clients: <see cref="LocalResetClient"/>. Not real-time safe: runs its own thread.
/// Put the socket in a directory only the operator can reach (e.g. /run/rt, 0750).
/// </summary>
public sealed class LocalResetSocket : IDisposable
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode OwnerAndGroup = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
    private const int MaxCommandBytes = 64;

    private readonly SafetySupervisor _supervisor;
    private readonly Socket _listener;
    private readonly Thread _thread;
    private readonly TimeSpan _answerTimeout, _receiveTimeout;
    private readonly TimeProvider _time;
    private volatile bool _stopping;

    /// <param name="path">Socket path (a stale socket there is replaced; a regular file is not).</param>
    /// <param name="supervisor">The supervisor to reset.</param>
    /// <param name="mode">0600 or 0660; anything open to others is refused.</param>
    /// <param name="answerTimeout">How long to wait for the supervisor's decision (the next tick); default 2 s.</param>
    /// <param name="receiveTimeout">How long a client may take to send its command; default 1 s.</param>
    /// <param name="groupId">Group to own the socket (the operator group), or null to keep the process's group.</param>
    /// <param name="time">Clock for the answer wait; default the system clock.</param>
    public LocalResetSocket(string path, SafetySupervisor supervisor, UnixFileMode mode = OwnerOnly, TimeSpan? answerTimeout = null,
        TimeSpan? receiveTimeout = null, int? groupId = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(supervisor);
        if ((mode & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
            throw new ArgumentException("the reset socket must not be accessible to others (use 0600 or 0660)", nameof(mode));
        _supervisor = supervisor;
        _answerTimeout = answerTimeout ?? TimeSpan.FromSeconds(2);
        _receiveTimeout = receiveTimeout ?? TimeSpan.FromSeconds(1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_receiveTimeout, TimeSpan.Zero);
        _time = time ?? TimeProvider.System;
        Path = path;
        if (File.Exists(path))
        {
            if (new FileInfo(path).Length > 0) // a socket has no content; a file with data is not ours to delete
                throw new IOException($"{path} exists and is a regular file, not a stale reset socket; refusing to remove it");
            File.Delete(path); // stale socket from a previous run
        }
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            if (groupId is { } gid) UnixGroups.SetGroup(path, gid);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
            _listener.Listen(4);
        }
        catch
        {
            _listener.Dispose(); // no half-open socket left behind
            try { File.Delete(path); } catch (IOException) { }
            throw;
        }
        _thread = new Thread(Serve) { IsBackground = true, Name = "rt-reset-socket" };
        _thread.Start();
    }

    /// <summary>
    /// Not real-time safe. Opens the socket at <paramref name="path"/> with the config's mode, group and receive timeout
    /// (<c>safety.reset_socket_mode</c>, <c>reset_socket_group</c>, <c>reset_socket_receive_timeout_s</c>); an unknown
    /// group or a bad mode is an <see cref="InputError"/> naming the key.
    /// </summary>
    public static LocalResetSocket Open(RtConfig config, string path, SafetySupervisor supervisor)
    {
        ArgumentNullException.ThrowIfNull(config);
        string src = string.IsNullOrEmpty(config.SourcePath) ? "config" : config.SourcePath;
        var s = config.Safety;
        UnixSocketPath.Check(path, src, System.IO.Path.IsPathRooted(s.ResetSocket) ? "safety.reset_socket" : "safety.reset_socket (under --state-dir)");
        var mode = SafetyConfigValidator.ResetSocketMode(src, s.ResetSocketMode);
        int? gid = string.IsNullOrWhiteSpace(s.ResetSocketGroup) ? null
            : UnixGroups.TryResolve(s.ResetSocketGroup.Trim(), out int g) ? g
            : throw new InputError(src, "safety.reset_socket_group", $"no group '{s.ResetSocketGroup}' on this machine (/etc/group); expected the operators' group name or number");
        return new LocalResetSocket(path, supervisor, mode, receiveTimeout: TimeSpan.FromSeconds(s.ResetSocketReceiveTimeoutS), groupId: gid);
    }

    public string Path { get; }

    /// <summary>More local commands on this socket (recovery by hand: <c>jog</c>), or null. Set before clients connect.</summary>
    public Jog.ILocalCommands? Commands { get; set; }

    /// <summary>Clients dropped because they sent no command within the receive timeout.</summary>
    public long SilentClientsDropped => Interlocked.Read(ref _silentDropped);
    private long _silentDropped;

    /// <summary>
    /// Unexpected exceptions (bugs) while serving a client. Each is counted here and logged as one line on
    /// <see cref="FaultLog"/>; the client's connection is closed, which lets go of any hold-to-run it carried (the tick
    /// ends a jog, homing or brake release on its own clock, as when a client dies), and the next client is served. The
    /// thread is not allowed to die silently nor to take the process down mid-motion.
    /// </summary>
    public long HandlerFaults => Interlocked.Read(ref _handlerFaults);
    private long _handlerFaults;

    /// <summary>Where a handler fault is logged, one line each (default: stderr, the service's journal). Set before clients connect.</summary>
    public TextWriter FaultLog { get; set; } = Console.Error;

    private void Serve()
    {
        while (!_stopping)
        {
            Socket client;
            try { client = _listener.Accept(); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (Exception e)
            {
                Fault(e, "accepting a client; the reset socket no longer answers (rt reset, jog, home and brake get no answer)");
                return;
            }
            using (client)
            {
                try { Handle(client); }
                catch (SocketException) { } // client went away: nothing to answer
                catch (IOException) { }
                catch (ObjectDisposedException) when (_stopping) { }
                catch (Exception e)
                {
                    Fault(e, "serving a client; its connection is closed (a hold it carried ends on the host's clock)");
                    try { Reply(client, $"error: internal: {e.GetType().Name} in the host's reset socket (a bug: please report); nothing is held"); }
                    catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
                }
            }
        }
    }

    private void Fault(Exception e, string what)
    {
        Interlocked.Increment(ref _handlerFaults);
        try
        {
            FaultLog.WriteLine($"error: unexpected {e.GetType().Name} on thread 'rt-reset-socket' while {what}: {e.Message} (a bug: please report)");
            FaultLog.Flush();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Nowhere to log: the count still says it happened.
        }
    }

    private void Handle(Socket client)
    {
        string? cmd = ReceiveCommand(client);
        if (cmd is null)
        {
            Interlocked.Increment(ref _silentDropped);
            Reply(client, $"error: no command within {_receiveTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s; expected 'reset'");
            return;
        }
        if (!string.Equals(cmd, "reset", StringComparison.Ordinal))
        {
            if (Commands?.TryHandle(cmd, client) == true) return; // recovery by hand (rt jog): Jog.JogSocketCommands
            Reply(client, $"error: unknown command '{cmd}'; expected 'reset'");
            return;
        }
        long before = _supervisor.LastResetOutcome.Sequence;
        _supervisor.RequestReset();
        string reply = "no answer: the supervisor is not ticking";
        long start = _time.GetTimestamp();
        while (_time.GetElapsedTime(start) < _answerTimeout)
        {
            var o = _supervisor.LastResetOutcome;
            if (o.Sequence != before)
            {
                reply = Describe(o);
                break;
            }
            Thread.Sleep(1);
        }
        Reply(client, reply);
    }

    /// <summary>Reads one line (or up to 64 bytes) within the receive timeout; null when the client stays silent.</summary>
    private string? ReceiveCommand(Socket client)
    {
        var buf = new byte[MaxCommandBytes];
        int total = 0;
        long start = _time.GetTimestamp();
        while (total < buf.Length)
        {
            var left = _receiveTimeout - _time.GetElapsedTime(start);
            if (left <= TimeSpan.Zero) return total > 0 ? Encoding.ASCII.GetString(buf, 0, total).Trim() : null;
            client.ReceiveTimeout = Math.Max(1, (int)Math.Ceiling(left.TotalMilliseconds));
            int n;
            try { n = client.Receive(buf, total, buf.Length - total, SocketFlags.None); }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                return total > 0 ? Encoding.ASCII.GetString(buf, 0, total).Trim() : null;
            }
            if (n == 0) break; // client closed its side: what it sent is the command
            total += n;
            if (buf[total - 1] == (byte)'\n') break;
        }
        return Encoding.ASCII.GetString(buf, 0, total).Trim();
    }

    private static void Reply(Socket client, string line) => client.Send(Encoding.UTF8.GetBytes(line + "\n"));

    /// <summary>The reply line for an outcome.</summary>
    public static string Describe(ResetOutcome o)
    {
        var inv = CultureInfo.InvariantCulture;
        if (o.Accepted) return "accepted";
        if (o.Cause == Rt.Core.Faults.FaultCode.None) return $"ignored: nothing to reset (state {o.State})";
        return $"refused: cause persists: {o.Cause} (0x{((ushort)o.Cause).ToString("X4", inv)}) channel {o.Channel.ToString(inv)} " +
               $"value {o.Value.ToString("G6", inv)} threshold {o.Threshold.ToString("G6", inv)}";
    }

    /// <summary>Sends one command and returns the reply line (for tests; the CLI uses <see cref="LocalResetClient"/>).</summary>
    public static string Send(string path, string command = "reset") =>
        LocalResetClient.Send(path, TimeSpan.FromSeconds(10), command).Message;

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
        _thread.Join(TimeSpan.FromSeconds(2));
        try { File.Delete(Path); } catch (IOException) { }
    }
}
