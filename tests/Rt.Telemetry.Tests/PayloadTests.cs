using System.Text.Json;
using Rt.Core.Tick;
using Rt.Perf;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

/// <summary>Against a real mosquitto: what the host publishes decodes and matches the records it was given.</summary>
public sealed class PayloadTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir("payload");

    [Fact]
    public void Birth_divergence_safety_and_state_decode_and_match_the_records()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/#");
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 10), layout, "r1", log.Add, Fixtures.FastOptions, journal: safetyLog.Journal);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));

        var state = Fixtures.State(layout);
        for (long t = 0; t < 100; t++)
        {
            Fixtures.Fill(state, t);
            svc.Sink.Enqueue(state);
        }
        safetyLog.Log(svc, Fixtures.Event(7));
        Fixtures.Fill(state, 100);
        state.SafetyState = SafetyState.Stopping; // the supervisor's next tick
        svc.Sink.Enqueue(state);

        var topics = svc.Topics;
        Assert.True(sub.WaitFor(m => m.Count(x => x.Topic == topics.Divergence) >= 11 && m.Any(x => x.Topic == topics.Safety),
            TimeSpan.FromSeconds(10)), "divergence batches and the safety event did not all arrive");

        // Birth: schema version, every channel with its unit.
        var birth = JsonDocument.Parse(sub.On(topics.Birth).Last().Payload).RootElement;
        Assert.Equal(TelemetryTopics.SchemaVersion, birth.GetProperty("v").GetInt32());
        var channels = birth.GetProperty("channels");
        Assert.Equal(layout.Count, channels.GetArrayLength());
        for (int c = 0; c < layout.Count; c++)
        {
            Assert.Equal(layout.Channels[c].Name, channels[c].GetProperty("name").GetString());
            Assert.Equal(layout.Channels[c].Unit, channels[c].GetProperty("unit").GetString());
        }

        // Divergence: consecutive sequence numbers, every tick once, values equal to what the tick held.
        var batches = sub.On(topics.Divergence).Select(m => JsonDocument.Parse(m.Payload).RootElement).ToList();
        Assert.Equal(Enumerable.Range(1, batches.Count).Select(i => (long)i), batches.Select(b => b.GetProperty("seq").GetInt64()));
        var ticks = new List<long>();
        foreach (var b in batches)
        {
            Assert.Equal(10 + layout.Count - 1, b.GetProperty("thr")[layout.Count - 1].GetDouble(), 4);
            foreach (var r in b.GetProperty("records").EnumerateArray())
            {
                long t = r.GetProperty("tick").GetInt64();
                ticks.Add(t);
                Assert.Equal(1_000_000_000_000L + t * 1_000_000, r.GetProperty("t_ns").GetInt64());
                Assert.Equal((int)(t < 100 ? SafetyState.Operational : SafetyState.Stopping), r.GetProperty("safety").GetInt32());
                Assert.True(r.GetProperty("valid").GetBoolean());
                for (int c = 0; c < layout.Count; c++)
                {
                    Assert.Equal(Fixtures.Value(t, c, 1), r.GetProperty("innov")[c].GetDouble(), 5);
                    Assert.Equal(Fixtures.Value(t, c, 2), r.GetProperty("score")[c].GetDouble(), 5);
                    Assert.Equal(Fixtures.Value(t, c, 3), r.GetProperty("det")[c].GetDouble(), 5);
                }
                var over = r.GetProperty("over").EnumerateArray().Select(e => e.GetInt32()).ToList();
                Assert.Equal(Enumerable.Range(0, layout.Count).Where(c => (t + c) % 7 == 0), over);
                for (int j = 0; j < layout.JointCount; j++)
                    Assert.Equal(Fixtures.Value(t, j, 4), r.GetProperty("ext")[j].GetDouble(), 5);
            }
        }
        Assert.Equal(Enumerable.Range(0, 101).Select(i => (long)i), ticks);

        // Safety event: every field, channel by name.
        var ev = JsonDocument.Parse(sub.On(topics.Safety).Single().Payload).RootElement;
        Assert.Equal(7, ev.GetProperty("id").GetInt64());
        Assert.Equal(1007, ev.GetProperty("tick").GetInt64());
        Assert.Equal("Operational", ev.GetProperty("from").GetString());
        Assert.Equal("Stopping", ev.GetProperty("to").GetString());
        Assert.Equal("TwinDivergence", ev.GetProperty("trigger").GetString());
        Assert.Equal("0x0501", ev.GetProperty("trigger_code").GetString());
        Assert.Equal(layout.Channels[3].Name, ev.GetProperty("channel_name").GetString());
        Assert.Equal("Cat1", ev.GetProperty("reaction").GetString());
        Assert.Equal(19.5, ev.GetProperty("value").GetDouble(), 4);

        // Retained state follows the supervisor's state.
        Assert.True(sub.WaitFor(m => m.Any(x => x.Topic == topics.State && x.Payload.Contains("\"Stopping\"", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(5)), "state topic did not report the new safety state");

        // Acknowledged safety events leave the outbox.
        Assert.True(SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)), "outbox not emptied after PUBACK");

        svc.Stop();
        Assert.True(sub.WaitFor(m => m.Any(x => x.Topic == topics.State && x.Payload.Contains("\"offline\"", StringComparison.Ordinal)
            && x.Payload.Contains("\"clean\":true", StringComparison.Ordinal)), TimeSpan.FromSeconds(5)), "clean offline state not published on Stop");
    }

    [Fact]
    public void Decimation_keeps_every_nth_record_and_counts_the_rest()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/divergence");
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 5, decimation: 4), layout, "r1", log.Add, Fixtures.FastOptions);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)));
        var state = Fixtures.State(layout);
        for (long t = 0; t < 40; t++)
        {
            Fixtures.Fill(state, t);
            svc.Sink.Enqueue(state);
        }
        Assert.True(sub.WaitFor(m => m.Count == 2, TimeSpan.FromSeconds(10)));
        var ticks = sub.Snapshot().SelectMany(m => JsonDocument.Parse(m.Payload).RootElement.GetProperty("records").EnumerateArray())
            .Select(r => r.GetProperty("tick").GetInt64()).ToList();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => i * 4L), ticks);
        Assert.Equal(30, svc.Stats.RecordsDecimated);
    }

    [Fact]
    public void Binary_encoding_decodes_to_the_same_records_and_is_announced_in_the_birth()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/#");
        var options = Fixtures.FastOptions with { Encoding = PayloadEncoding.Binary };
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 10), layout, "r1", log.Add, options);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)));
        var state = Fixtures.State(layout);
        for (long t = 0; t < 30; t++) { Fixtures.Fill(state, t); svc.Sink.Enqueue(state); }
        Assert.True(sub.WaitFor(m => m.Count(x => x.Topic == svc.Topics.Divergence) == 3, TimeSpan.FromSeconds(10)));

        Assert.Contains("\"encoding\":\"rtd1\"", sub.On(svc.Topics.Birth).Last().Payload, StringComparison.Ordinal);
        var batches = sub.On(svc.Topics.Divergence).Select(m => TelemetryPayloads.DecodeDivergence(m.Raw)).ToList();
        Assert.Equal([1L, 2L, 3L], batches.Select(b => b.Seq));
        var records = batches.SelectMany(b => b.Records).ToList();
        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), records.Select(r => r.Tick));
        foreach (var r in records)
        {
            Assert.Equal(1_000_000_000_000L + r.Tick * 1_000_000, r.TimeNs);
            Assert.Equal(Enumerable.Range(0, layout.Count).Where(c => (r.Tick + c) % 7 == 0), r.Over);
            for (int c = 0; c < layout.Count; c++) Assert.Equal(Fixtures.Value(r.Tick, c, 2), r.Score[c], 5);
            for (int j = 0; j < layout.JointCount; j++) Assert.Equal(Fixtures.Value(r.Tick, j, 4), r.ExternalTorque[j], 5);
        }
        // Same content as JSON in about a fifth of the bytes.
        Assert.True(sub.On(svc.Topics.Divergence)[0].Raw.Length < 10 * DivergenceBinary.RecordBytes(layout.Count, layout.JointCount) + 300);
    }

    [Fact]
    public void Malformed_binary_messages_are_rejected()
    {
        Assert.Throws<FormatException>(() => DivergenceBinary.Decode("RTD1\u0001\u0000"u8));
        Assert.Throws<FormatException>(() => DivergenceBinary.Decode(new byte[64]));
    }

    internal static bool SpinUntil(Func<bool> cond, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (cond()) return true;
            Thread.Sleep(10);
        }
        return cond();
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
