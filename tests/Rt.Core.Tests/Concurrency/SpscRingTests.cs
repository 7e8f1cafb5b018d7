using Rt.Core.Concurrency;

namespace Rt.Core.Tests.Concurrency;

/// <summary>The two cross-thread stress tests share a collection so they do not compete for the two cores.</summary>
[CollectionDefinition("ring stress", DisableParallelization = true)]
public sealed class RingStressCollection;

[Collection("ring stress")]
public sealed class SpscRingTests
{
    private readonly record struct Sample(long Tick, double Value);

    [Fact]
    public void Capacity_rounds_up_to_a_power_of_two()
    {
        Assert.Equal(8, new SpscRing<int>(5).Capacity);
        Assert.Equal(2, new SpscRing<int>(2).Capacity);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpscRing<int>(1));
    }

    [Fact]
    public void Values_come_out_in_the_order_they_went_in()
    {
        var ring = new SpscRing<Sample>(4);
        // Wrap several times so the index mask is exercised.
        for (int round = 0; round < 5; round++)
        {
            for (int i = 0; i < 3; i++) Assert.True(ring.TryPush(new Sample(round * 10 + i, i * 0.5)));
            Assert.Equal(3, ring.Count);
            for (int i = 0; i < 3; i++)
            {
                Assert.True(ring.TryPop(out var s));
                Assert.Equal(new Sample(round * 10 + i, i * 0.5), s);
            }
            Assert.False(ring.TryPop(out _));
        }
        Assert.Equal(0, ring.Dropped);
    }

    [Fact]
    public void A_full_ring_refuses_the_value_and_counts_the_drop()
    {
        var ring = new SpscRing<int>(4);
        for (int i = 0; i < 4; i++) Assert.True(ring.TryPush(i));
        Assert.False(ring.TryPush(99));
        Assert.False(ring.TryPush(100));
        Assert.Equal(2, ring.Dropped);
        Assert.Equal(4, ring.Count);
        // The refused values never appear; the stored ones are intact.
        for (int i = 0; i < 4; i++)
        {
            Assert.True(ring.TryPop(out int v));
            Assert.Equal(i, v);
        }
        Assert.True(ring.TryPush(5));
        Assert.True(ring.TryPop(out int last));
        Assert.Equal(5, last);
    }

    [Fact]
    public void A_million_values_cross_threads_in_order()
    {
        const long N = 1_000_000;
        var ring = new SpscRing<long>(1024);
        long failedPushes = 0;
        var producer = new Thread(() =>
        {
            for (long i = 1; i <= N; i++)
            {
                var spin = new SpinWait();
                while (!ring.TryPush(i)) { failedPushes++; spin.SpinOnce(); }
            }
        });
        producer.Start();
        long expected = 1;
        var idle = new SpinWait(); // yields when empty: on a loaded 2-core box a hot consumer would starve the producer
        var deadline = DateTime.UtcNow.AddSeconds(120); // a hang is a failure, not a passing test
        while (expected <= N)
        {
            if (ring.TryPop(out long v))
            {
                Assert.Equal(expected, v);
                expected++;
            }
            else
            {
                idle.SpinOnce();
                if (DateTime.UtcNow > deadline) Assert.Fail($"consumer stalled at {expected}");
            }
        }
        producer.Join();
        Assert.False(ring.TryPop(out _));
        Assert.Equal(failedPushes, ring.Dropped); // every refused push was counted, nothing else
    }

    [Fact]
    public void TryPush_and_TryPop_allocate_nothing()
    {
        var ring = new SpscRing<Sample>(64);
        for (int i = 0; i < 10_000; i++) { ring.TryPush(new Sample(i, i)); ring.TryPop(out _); }
        for (int i = 0; i < 200; i++) ring.TryPush(new Sample(i, i)); // also the full path
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            ring.TryPush(new Sample(i, i));
            ring.TryPop(out _);
            ring.TryPush(new Sample(i, i));
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(ring.Dropped > 0);
    }
}

[Collection("ring stress")]
public sealed class SpscSlotRingTests
{
    [Fact]
    public void Slots_come_out_in_order_with_their_ticks()
    {
        var ring = new SpscSlotRing(4, 3);
        Assert.Equal(3, ring.Width);
        Span<double> read = stackalloc double[3];
        for (long tick = 0; tick < 20; tick++)
        {
            var slot = ring.TryBeginWrite(tick);
            Assert.Equal(3, slot.Length);
            slot[0] = tick; slot[1] = tick * 2; slot[2] = -tick;
            ring.CommitWrite();
            if (tick % 2 == 1)
            {
                for (long t = tick - 1; t <= tick; t++)
                {
                    Assert.True(ring.TryRead(out long got, read));
                    Assert.Equal(t, got);
                    Assert.Equal([t, t * 2, -t], read.ToArray());
                }
            }
        }
        Assert.False(ring.TryRead(out _, read));
    }

    [Fact]
    public void An_uncommitted_slot_is_not_visible()
    {
        var ring = new SpscSlotRing(4, 2);
        ring.TryBeginWrite(7)[0] = 1;
        Assert.Equal(0, ring.Count);
        Assert.False(ring.TryRead(out _, stackalloc double[2]));
        ring.CommitWrite();
        Assert.True(ring.TryRead(out long tick, stackalloc double[2]));
        Assert.Equal(7, tick);
    }

    [Fact]
    public void A_full_ring_returns_an_empty_slot_and_counts_the_drop()
    {
        var ring = new SpscSlotRing(2, 4);
        for (int i = 0; i < 2; i++) { Assert.False(ring.TryBeginWrite(i).IsEmpty); ring.CommitWrite(); }
        Assert.True(ring.TryBeginWrite(2).IsEmpty);
        Assert.Equal(1, ring.Dropped);
        Span<double> read = stackalloc double[4];
        Assert.True(ring.TryRead(out long first, read));
        Assert.Equal(0, first); // the refused tick did not overwrite anything
    }

    [Fact]
    public void A_million_records_cross_threads_in_order()
    {
        const long N = 1_000_000;
        const int Width = 5;
        var ring = new SpscSlotRing(256, Width);
        var producer = new Thread(() =>
        {
            for (long i = 0; i < N; i++)
            {
                Span<double> slot;
                var spin = new SpinWait();
                while ((slot = ring.TryBeginWrite(i)).IsEmpty) spin.SpinOnce();
                for (int k = 0; k < Width; k++) slot[k] = i * Width + k;
                ring.CommitWrite();
            }
        });
        producer.Start();
        var read = new double[Width];
        var idle = new SpinWait();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        for (long expected = 0; expected < N;)
        {
            if (ring.TryRead(out long tick, read))
            {
                Assert.Equal(expected, tick);
                for (int k = 0; k < Width; k++)
                {
                    if (read[k] != expected * Width + k) Assert.Fail($"record {expected} column {k} is {read[k]}: a torn or stale slot");
                }
                expected++;
            }
            else
            {
                idle.SpinOnce();
                if (DateTime.UtcNow > deadline) Assert.Fail($"consumer stalled at {expected}");
            }
        }
        producer.Join();
    }

    [Fact]
    public void Writing_and_reading_allocate_nothing()
    {
        var ring = new SpscSlotRing(32, 8);
        var read = new double[8];
        for (int i = 0; i < 10_000; i++) { ring.TryBeginWrite(i)[0] = i; ring.CommitWrite(); ring.TryRead(out _, read); }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            var slot = ring.TryBeginWrite(i);
            if (!slot.IsEmpty) { slot[0] = i; ring.CommitWrite(); }
            ring.TryRead(out _, read);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
