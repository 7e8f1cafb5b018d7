using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Realtime;

/// <summary>
/// The control socket of <c>rt hil serve --control &lt;path&gt;</c>: a Unix domain socket (mode 0600: only this user may
/// inject faults) accepting one JSON injection per line (<see cref="ControlProtocol"/>), answering <c>ok</c> or
/// <c>error: &lt;reason&gt;</c> per line. Accepted injections wait in a lock-free queue until the frame thread calls
/// <see cref="ApplyPending"/> between two frames. The socket's own thread is not real-time; ApplyPending takes no lock.
/// </summary>
public sealed class ControlSocketServer : IDisposable
{
    private readonly ServedFaults _faults;
    private readonly Socket _listener;
    private readonly Thread _thread;
    private readonly ConcurrentQueue<PreparedFault> _pending = new();
    private readonly PreparedFault?[] _later = new PreparedFault?[16]; // armed obstacles, placed at the next boundary
    private int _laterCount;
    private volatile bool _stopping;
    private Socket? _client;

    public ControlSocketServer(string path, ServedFaults faults)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _faults = faults;
        Path = System.IO.Path.GetFullPath(path);
        if (File.Exists(Path))
        {
            if (new FileInfo(Path).Length > 0) // a socket has no content; a file with data is not ours to delete
                throw new IOException($"{Path} exists and is a regular file, not a stale control socket; refusing to remove it");
            File.Delete(Path);
        }
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _listener.Bind(new UnixDomainSocketEndPoint(Path));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            _listener.Listen(2);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        _thread = new Thread(Serve) { IsBackground = true, Name = "rt-hil-control" };
        _thread.Start();
    }

    public string Path { get; }

    /// <summary>Lines answered "ok" / "error" so far.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);
    public long Rejected => Interlocked.Read(ref _rejected);
    private long _accepted, _rejected;

    /// <summary>
    /// Frame thread, between frames: applies every accepted injection in arrival order (an obstacle armed on the
    /// previous boundary is placed first). Returns how many were applied. No lock; see <see cref="ServedFaults"/> on allocation.
    /// </summary>
    public int ApplyPending()
    {
        int n = 0;
        int later = _laterCount;
        _laterCount = 0;
        for (int i = 0; i < later; i++)
        {
            var f = _later[i]!;
            _later[i] = null;
            n += Apply(f);
        }
        while (_pending.TryDequeue(out var f)) n += Apply(f);
        return n;
    }

    private int Apply(PreparedFault f)
    {
        if (_faults.Apply(f)) return 1;
        if (_laterCount < _later.Length) _later[_laterCount++] = f;
        else _pending.Enqueue(f); // more than 16 obstacles at once: the queue keeps it (an allocation on an absurd edge case)
        return 0;
    }

    /// <summary>Parses, checks and queues one line; returns the reply (without newline). Used by the socket thread and by tests.</summary>
    public string Handle(string line)
    {
        var command = ControlProtocol.TryParse(line, out string error);
        var prepared = command == null ? null : _faults.Prepare(command, out error);
        if (prepared == null)
        {
            Interlocked.Increment(ref _rejected);
            return "error: " + error;
        }
        _pending.Enqueue(prepared);
        Interlocked.Increment(ref _accepted);
        return "ok";
    }

    private void Serve()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            _client = client;
            try
            {
                using var stream = new NetworkStream(client, ownsSocket: true);
                using var reader = new StreamReader(stream, Encoding.UTF8);
                using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
                while (!_stopping && reader.ReadLine() is { } line)
                    writer.WriteLine(Handle(line));
            }
            catch (IOException) { } // the client went away: nothing to answer
            catch (ObjectDisposedException) { }
            _client = null;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _listener.Dispose();
        try { _client?.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _thread.Join(2000);
        try { File.Delete(Path); } catch (IOException) { }
    }
}

/// <summary>The host's end of a control socket: one connection, one line out, one reply line back. Not real-time safe.</summary>
public sealed class ControlSocketClient : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;

    private ControlSocketClient(Socket socket)
    {
        _socket = socket;
        var stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(stream, Encoding.UTF8);
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };
    }

    /// <summary>Connects, retrying until <paramref name="timeout"/> (the serve process creates the socket after it loaded the plant).</summary>
    public static ControlSocketClient Connect(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                s.Connect(new UnixDomainSocketEndPoint(path));
                return new ControlSocketClient(s);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                s.Dispose();
                Thread.Sleep(50);
            }
            catch
            {
                s.Dispose();
                throw;
            }
        }
    }

    /// <summary>Sends one line and returns the server's reply ("ok" or "error: …"); null if the server closed the connection.</summary>
    public string? Send(string line)
    {
        _writer.WriteLine(line);
        return _reader.ReadLine();
    }

    public void Dispose()
    {
        _reader.Dispose();
        _writer.Dispose();
        _socket.Dispose();
    }
}
