using System.Net;
using System.Net.Sockets;
using Rt.Telemetry.Link;

namespace Rt.Telemetry.Tests;

/// <summary>
/// The bulk connection's corked socket (<see cref="CorkedSocketStream"/>) over a real loopback TCP connection: a cork
/// gathers writes into one send(), bytes keep their order when the kernel's buffer is full, and a write over the cap
/// waits instead of growing memory.
/// </summary>
public sealed class CorkedStreamTests
{
    private static (CorkedSocketStream Stream, Socket Peer, TcpListener Listener) Pair()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect((IPEndPoint)listener.LocalEndpoint);
        Socket peer = listener.AcceptSocket();
        return (new CorkedSocketStream(client), peer, listener);
    }

    private static byte[] Receive(Socket peer, int count)
    {
        var data = new byte[count];
        int got = 0;
        peer.ReceiveTimeout = 10_000;
        while (got < count)
        {
            int n = peer.Receive(data, got, count - got, SocketFlags.None);
            Assert.True(n > 0, $"connection closed after {got} of {count} bytes");
            got += n;
        }
        return data;
    }

    [Fact]
    public async Task Writes_inside_a_cork_leave_in_one_send_in_order()
    {
        var (stream, peer, listener) = Pair();
        using var _ = stream;
        using var __ = peer;
        try
        {
            stream.Cork();
            for (byte b = 1; b <= 3; b++) await stream.WriteAsync(new byte[] { b, b, b });
            Assert.Equal(0, stream.Sends); // nothing handed to the kernel: the peer cannot have received anything
            Assert.Equal(0, peer.Available);
            stream.Uncork();
            Assert.Equal(1, stream.Sends);
            Assert.Equal(new byte[] { 1, 1, 1, 2, 2, 2, 3, 3, 3 }, Receive(peer, 9));

            await stream.WriteAsync(new byte[] { 9 }); // outside a cork: at once
            Assert.Equal(2, stream.Sends);
            Assert.Equal(new byte[] { 9 }, Receive(peer, 1));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task A_peer_that_does_not_read_makes_writes_queue_in_order_and_over_the_cap_wait()
    {
        var (stream, peer, listener) = Pair();
        using var _ = stream;
        using var __ = peer;
        try
        {
            // Numbered 1 kB chunks until the kernel's buffers are full and the cap is reached: a write then waits.
            const int chunk = 1024;
            int written = 0;
            Task? waiting = null;
            for (int i = 0; i < 100_000 && waiting is null; i++)
            {
                var b = new byte[chunk];
                BitConverter.TryWriteBytes(b, i);
                ValueTask w = stream.WriteAsync(b);
                if (w.IsCompleted) { await w; written++; }
                else waiting = w.AsTask();
            }
            Assert.NotNull(waiting); // the cap held: memory did not grow without bound
            Assert.False(waiting!.IsCompleted);

            // The peer reads everything: the waiting write completes and every chunk arrives once, in order.
            int total = written + 1;
            var read = Task.Run(() => Receive(peer, total * chunk));
            await waiting.WaitAsync(TimeSpan.FromSeconds(30));
            byte[] all = await read.WaitAsync(TimeSpan.FromSeconds(30));
            for (int i = 0; i < total; i++) Assert.Equal(i, BitConverter.ToInt32(all, i * chunk));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task A_write_over_the_cap_inside_a_cork_resumes_when_the_uncork_sends_everything_at_once()
    {
        var (stream, peer, listener) = Pair();
        using var _ = stream;
        using var __ = peer;
        try
        {
            // A cork gathers up to the cap; the next write waits for room. Uncork hands the lot to the kernel in one
            // send (the peer's receive buffer takes it here, the peer reads concurrently), and that must release the
            // waiting write — nothing else would: no asynchronous send is in flight.
            const int chunk = 16 * 1024;
            int chunks = CorkedSocketStream.BufferCap / chunk;
            var read = Task.Run(() => Receive(peer, (chunks + 1) * chunk));
            stream.Cork();
            for (int i = 0; i < chunks; i++) await stream.WriteAsync(new byte[chunk]);
            ValueTask over = stream.WriteAsync(new byte[chunk]);
            Assert.False(over.IsCompleted);
            stream.Uncork();
            await over.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            byte[] all = await read.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal((chunks + 1) * chunk, all.Length);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task TryWrite_refuses_at_once_when_the_peer_does_not_read_and_what_it_took_arrives_whole_in_order()
    {
        var (stream, peer, listener) = Pair();
        using var _ = stream;
        using var __ = peer;
        try
        {
            // Our own QoS 0 packets (TryWrite) between the client library's (WriteAsync): numbered 1 kB chunks until the
            // kernel's buffers and the cap are full; TryWrite then says no instead of waiting or growing memory.
            const int chunk = 1024;
            var accepted = new List<int>();
            int refused = 0;
            for (int i = 0; i < 100_000 && refused == 0; i++)
            {
                var b = new byte[chunk];
                BitConverter.TryWriteBytes(b, i);
                if (i < 8 && i % 2 == 1)
                {
                    await stream.WriteAsync(b); // the first few alternate with the library's writes (the kernel takes them)
                    accepted.Add(i);
                }
                else if (stream.TryWrite(b)) accepted.Add(i);
                else refused++;
            }
            Assert.Equal(1, refused);
            Assert.False(stream.TryWrite(new byte[chunk])); // still full: refused again, at once

            // The peer reads everything that was taken: each chunk once, whole, in the order written.
            byte[] all = await Task.Run(() => Receive(peer, accepted.Count * chunk)).WaitAsync(TimeSpan.FromSeconds(30));
            for (int k = 0; k < accepted.Count; k++) Assert.Equal(accepted[k], BitConverter.ToInt32(all, k * chunk));
            Assert.True(stream.TryWrite(new byte[] { 7 }), "room again once the peer read");
        }
        finally
        {
            listener.Stop();
        }
    }
}
