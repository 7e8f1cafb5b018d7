using System.Buffers.Binary;
using System.Diagnostics;
using Rt.Hil.Esc.Segment;
using Rt.Hil.Esc.Server;

namespace Rt.Hil.Esc.Tests;

public sealed class RawServerTests
{
    private static int Ip(string args)
    {
        using var p = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        p.WaitForExit();
        return p.ExitCode;
    }

    [SkippableFact]
    public void Serves_a_segment_over_a_veth_pair()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && Environment.UserName == "root",
            "needs root on Linux to create a veth pair and open AF_PACKET sockets");

        string a = $"c2esc{Environment.ProcessId % 10000}a", b = $"c2esc{Environment.ProcessId % 10000}b";
        Ip($"link del {a}");
        Assert.Equal(0, Ip($"link add {a} type veth peer name {b}"));
        try
        {
            Assert.Equal(0, Ip($"link set {a} up"));
            Assert.Equal(0, Ip($"link set {b} up"));
            var segment = EscBenchSegment.Create(2, 1);
            using var server = new EscRawServer(a, segment);
            long hooks = 0;
            server.AfterFrame = (_, _) => Interlocked.Increment(ref hooks);
            using var cts = new CancellationTokenSource();
            var thread = new Thread(() => server.Run(cts.Token, 20)) { IsBackground = true };
            thread.Start();
            using var master = new RawPacketSocket(b, 0x88A4);

            var f = new TestFrame();
            f.Add(TestBus.BRD, 0, 0x0000, 2);
            var frame = f.Build();
            var rx = new byte[2048];
            int got = 0;
            for (int attempt = 0; attempt < 50 && got == 0; attempt++)
            {
                Assert.True(master.Send(frame.AsSpan(0, f.Length)));
                got = master.TryReceive(rx, 100);
            }

            cts.Cancel();
            thread.Join();
            Assert.True(got >= f.Length, "no frame came back over the veth pair");
            Assert.Equal(0x12, rx[6]);
            Assert.Equal(3, BinaryPrimitives.ReadUInt16LittleEndian(rx.AsSpan(16 + 10 + 2)));
            Assert.True(server.FramesReturned >= 1);
            Assert.True(Interlocked.Read(ref hooks) >= 1);
        }
        finally
        {
            Ip($"link del {a}");
        }
    }
}
