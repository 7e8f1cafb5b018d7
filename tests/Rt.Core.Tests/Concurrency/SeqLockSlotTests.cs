using Rt.Core.Concurrency;

namespace Rt.Core.Tests.Concurrency;

[Collection("ring stress")]
public sealed class SeqLockSlotTests
{
    private readonly record struct Pair(long A, long B, long C);

    [Fact]
    public void Reader_never_sees_a_half_written_value_while_the_writer_keeps_writing()
    {
        var slot = new SeqLockSlot<Pair>();
        slot.Write(new Pair(0, 0, 0));
        using var stop = new CancellationTokenSource();
        var writer = new Thread(() =>
        {
            for (long i = 1; !stop.IsCancellationRequested; i++) slot.Write(new Pair(i, -i, i * 3));
        }) { IsBackground = true };
        writer.Start();
        long torn = 0, reads = 0, last = 0, backwards = 0;
        var until = DateTime.UtcNow.AddMilliseconds(300);
        while (DateTime.UtcNow < until || reads < 10_000)
        {
            var p = slot.Read();
            reads++;
            if (p.B != -p.A || p.C != 3 * p.A) torn++;
            if (p.A < last) backwards++;
            last = p.A;
        }
        stop.Cancel();
        writer.Join();
        Assert.Equal(0, torn);
        Assert.Equal(0, backwards);
        Assert.True(last > 0, "the writer never ran");
    }

    [Fact]
    public void Write_allocates_nothing()
    {
        var slot = new SeqLockSlot<Pair>();
        slot.Write(new Pair(1, 1, 1));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) slot.Write(new Pair(i, i, i));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(999, slot.Read().A);
    }
}
