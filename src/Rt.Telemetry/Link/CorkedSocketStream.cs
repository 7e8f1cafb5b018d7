using System.Net;
using System.Net.Sockets;
using MQTTnet.Channel;

namespace Rt.Telemetry.Link;

/// <summary>
/// Opens the TCP connection for MQTTnet (<c>MqttClientTcpOptions.StreamProvider</c>; TLS, if any, is layered on top
/// by MQTTnet) and hands each new <see cref="CorkedSocketStream"/> to <paramref name="opened"/>, so the connection
/// can cork it. Not real-time safe.
/// </summary>
internal sealed class CorkedStreamProvider(bool noDelay, Action<CorkedSocketStream> opened) : IMqttClientStreamProvider
{
    public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = noDelay };
        try
        {
            await socket.ConnectAsync(brokerEndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var stream = new CorkedSocketStream(socket);
        opened(stream);
        return stream;
    }
}

/// <summary>
/// The MQTT connection's byte stream with a cork, so one pump of the publisher goes out in one send(): between
/// <see cref="Cork"/> and <see cref="Uncork"/> every packet MQTTnet writes (each a whole packet: fragmentation is
/// off) is appended to a buffer, and <see cref="Uncork"/> hands the lot to the kernel at once — one syscall and one
/// TCP segment for the ROS topics, the divergence batch and the summary of one wake-up instead of one each
/// (measured: a send() on loopback costs the sender the receiver's TCP processing too). Outside a cork a write goes
/// out at once (CONNECT, pings, QoS 1 on the safety connection). Never blocks a writer on the network: the socket is
/// non-blocking; what the kernel does not take now is sent by one asynchronous send at a time, and later writes
/// queue behind it in order. Over <see cref="BufferCap"/> bytes waiting, a write waits (MQTTnet's publish stays
/// incomplete, so the publisher's cap on queued messages drops and counts rather than growing memory). Thread-safe
/// (MQTTnet writes from the publisher thread and from its keepalive on the thread pool). Not real-time safe.
/// </summary>
internal sealed class CorkedSocketStream : Stream
{
    /// <summary>Bytes that may wait in the buffer before a write waits: ~3 s of this telemetry (divergence ~70 kB/s, ROS ~80 kB/s).</summary>
    public const int BufferCap = 256 * 1024;

    private readonly Socket _socket;
    private readonly Lock _gate = new();
    private byte[] _pending = new byte[16 * 1024]; // appended, not yet handed to the kernel
    private byte[] _sending = new byte[16 * 1024]; // being sent asynchronously (owned by SendRestAsync)
    private int _pendingLength;
    private bool _corked, _sendInFlight, _closed;
    private Exception? _failure;
    private TaskCompletionSource? _room; // a write waiting for the buffer to drain under the cap
    private long _sends, _writes;

    public CorkedSocketStream(Socket socket)
    {
        _socket = socket;
        _socket.Blocking = false; // a sync send takes what fits and never waits
    }

    /// <summary>send() calls and asynchronous sends made so far.</summary>
    public long Sends => Interlocked.Read(ref _sends);

    /// <summary>Writes (MQTT packets, or TLS records) received so far.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>From now on writes are collected, until <see cref="Uncork"/>.</summary>
    public void Cork()
    {
        lock (_gate) _corked = true;
    }

    /// <summary>Hands everything collected to the kernel, in one send() when it fits (it does unless the broker lags).</summary>
    public void Uncork()
    {
        lock (_gate)
        {
            _corked = false;
            if (_sendInFlight || _pendingLength == 0 || _failure is not null || _closed) return;
            try { SendNow(); }
            catch (IOException) { } // kept in _failure: MQTTnet's next write fails, and its reader sees the dead socket
        }
    }

    /// <summary>
    /// One whole packet written by us, not by MQTTnet (<see cref="Mqtt5PublishEncoder"/>): copied in at once, between
    /// MQTTnet's packets (each of its writes is one packet under the same lock), or refused — false when the stream
    /// failed or its buffer has no room (the caller drops and counts; it never waits). Thread-safe.
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> packet)
    {
        lock (_gate)
        {
            if (_failure is not null || _closed) return false;
            if ((_corked || _sendInFlight) && _pendingLength > 0 && _pendingLength + packet.Length > BufferCap) return false;
            Interlocked.Increment(ref _writes);
            Append(packet);
            if (!_corked && !_sendInFlight)
            {
                try { SendNow(); }
                catch (IOException) { return false; } // the connection failed: MQTTnet's read side reports it
            }
            return true;
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Task? wait = null;
        lock (_gate)
        {
            ThrowIfFailed();
            Interlocked.Increment(ref _writes);
            if ((_corked || _sendInFlight) && _pendingLength > 0 && _pendingLength + buffer.Length > BufferCap)
            {
                _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _room.Task;
            }
            else
            {
                Append(buffer.Span);
                if (!_corked && !_sendInFlight) SendNow();
                return ValueTask.CompletedTask;
            }
        }
        return new ValueTask(WriteWhenRoomAsync(wait, buffer, cancellationToken));
    }

    private async Task WriteWhenRoomAsync(Task room, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        await WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override void Write(ReadOnlySpan<byte> buffer) => WriteAsync(buffer.ToArray()).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Nothing to do: outside a cork every write is already with the kernel or in the one send in flight.</summary>
    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            TaskCompletionSource? room;
            lock (_gate)
            {
                _closed = true;
                _failure ??= new ObjectDisposedException(nameof(CorkedSocketStream));
                room = _room;
                _room = null;
            }
            room?.TrySetResult(); // the waiting write sees the failure
            _socket.Dispose();
        }
        base.Dispose(disposing);
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_pendingLength + data.Length > _pending.Length)
            Array.Resize(ref _pending, Math.Max(_pendingLength + data.Length, 2 * _pending.Length)); // grows to the peak, then steady
        data.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += data.Length;
    }

    /// <summary>Under the lock, nothing in flight: what the kernel takes now; the rest goes by one asynchronous send.</summary>
    private void SendNow()
    {
        Interlocked.Increment(ref _sends);
        int sent = _socket.Send(_pending.AsSpan(0, _pendingLength), SocketFlags.None, out SocketError error);
        if (error is not SocketError.Success and not SocketError.WouldBlock)
        {
            _failure = new IOException($"send to the broker failed: {error}", new SocketException((int)error));
            _pendingLength = 0;
            ReleaseWaitingWrite(); // it sees the failure
            throw _failure;
        }
        if (error == SocketError.WouldBlock) sent = 0;
        if (sent == _pendingLength)
        {
            _pendingLength = 0;
            ReleaseWaitingWrite(); // a write that waited for room under a cork: the buffer is empty now
            return;
        }
        // The kernel's buffer is full (the broker lags): the rest goes asynchronously, in order, and later writes queue.
        Buffer.BlockCopy(_pending, sent, _pending, 0, _pendingLength - sent);
        _pendingLength -= sent;
        _sendInFlight = true;
        _ = SendRestAsync();
    }

    /// <summary>Under the lock. The continuation runs asynchronously (RunContinuationsAsynchronously), never inline here.</summary>
    private void ReleaseWaitingWrite()
    {
        _room?.TrySetResult();
        _room = null;
    }

    private async Task SendRestAsync()
    {
        while (true)
        {
            int length;
            TaskCompletionSource? room = null;
            lock (_gate)
            {
                if (_pendingLength == 0 || _failure is not null)
                {
                    _sendInFlight = false;
                    room = _room;
                    _room = null;
                    length = 0;
                }
                else
                {
                    (_pending, _sending) = (_sending, _pending);
                    length = _pendingLength;
                    _pendingLength = 0;
                    room = _room;
                    _room = null;
                }
            }
            room?.TrySetResult(); // room in the buffer again: the waiting write retries
            if (length == 0) return;
            try
            {
                Interlocked.Increment(ref _sends);
                await _socket.SendAsync(_sending.AsMemory(0, length), SocketFlags.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                lock (_gate)
                {
                    _failure ??= new IOException($"send to the broker failed: {e.Message}", e);
                    _pendingLength = 0;
                }
            }
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null) throw new IOException(_failure.Message, _failure);
    }
}
