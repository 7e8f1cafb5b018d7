using System.Diagnostics;
using System.Text.Json;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Perf;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

/// <summary>Schema v2 against a real mosquitto: protobuf divergence (decoded by protobufjs), summary, prefix, sessions, last trip.</summary>
public sealed class V2Tests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir("v2");

    private static TelemetryOptions Options => Fixtures.FastOptions with { Encoding = PayloadEncoding.Protobuf };

    [SkippableFact]
    public void Protobuf_divergence_decodes_with_protobufjs_against_the_proto_and_matches_the_records()
    {
        string root = Fixtures.RepoRoot();
        string decoder = Path.Combine(root, "tools", "node", "decode-divergence.mjs");
        Skip.IfNot(Directory.Exists(Path.Combine(root, "tools", "node", "node_modules", "protobufjs")), "tools/node not installed (tools/setup.sh runs npm ci)");
        Skip.If(!Exists("node"), "node not installed");

        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        var section = Fixtures.Section(broker.Uri, _dir, batch: 10);
        section.TopicPrefix = "site/line3/rt"; // a multi-level prefix
        using var sub = new TestSubscriber(broker.Uri, "site/line3/rt/r1/#");
        // Thresholds and gates go out only when they change (the repeat interval is longer than the test).
        using var svc = new TelemetryService(section, layout, "r1", log.Add, Options with { ThresholdRepeatS = 60 });
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        Assert.Equal("site/line3/rt/r1/divergence", svc.Topics.Divergence);

        var state = Fixtures.State(layout);
        for (long t = 0; t < 100; t++)
        {
            Fixtures.Fill(state, t);
            state.Divergence.Innovation[5] = 0; // an all-zero series: no q values, scale 0
            if (t >= 55) state.Divergence.Threshold[0] = 99; // a changed threshold: the batch of ticks 50..59 carries it
            svc.Sink.Enqueue(state);
        }
        Assert.True(sub.WaitFor(m => m.Count(x => x.Topic == svc.Topics.Divergence) >= 10, TimeSpan.FromSeconds(10)), "divergence did not arrive");
        Assert.Equal(DivergenceProto.ContentType, sub.ContentTypeOf(svc.Topics.Divergence));

        var files = new List<string>();
        foreach (var m in sub.On(svc.Topics.Divergence))
        {
            string f = Path.Combine(_dir, $"m{files.Count}.bin");
            File.WriteAllBytes(f, m.Raw);
            files.Add(f);
        }
        var psi = new ProcessStartInfo("node", [decoder, Path.Combine(root, "src", "Rt.Telemetry", "Schema", "divergence_v2.proto"), .. files])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);

        var ticks = new List<long>();
        long seq = 0;
        int carried = 0;
        long prevLast = -1;
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            JsonElement b = JsonDocument.Parse(line).RootElement;
            Assert.Equal((int)DivergenceProto.SchemaRevision, b.GetProperty("schema").GetInt32());
            Assert.Equal(svc.RunId.ToString(System.Globalization.CultureInfo.InvariantCulture), b.GetProperty("run").GetString());
            Assert.Equal(++seq, long.Parse(b.GetProperty("seq").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            long utc = long.Parse(b.GetProperty("utcNs").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(utc, TelemetryClock.UtcNs() - 60_000_000_000L, TelemetryClock.UtcNs());
            int n = b.GetProperty("count").GetInt32();
            Assert.Equal(layout.Count, b.GetProperty("channels").GetInt32());
            long[] tick = Deltas(b.GetProperty("tick")), tns = Deltas(b.GetProperty("tNs"));
            long period = long.Parse(b.GetProperty("periodNs").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(1_000_000, period);
            for (int r = 1; r < n; r++) tns[r] += (tick[r] - tick[0]) * period; // residuals against the period, summed
            // Thresholds and gates: in the first message, and in the one whose last record has the changed threshold.
            long lastTick = tick[n - 1];
            bool firstOrChanged = seq == 1 || (lastTick >= 55 && prevLast < 55);
            prevLast = lastTick;
            Assert.Equal(firstOrChanged ? layout.Count : 0, b.GetProperty("threshold").GetArrayLength());
            Assert.Equal(firstOrChanged ? layout.Count : 0, b.GetProperty("gate").GetArrayLength());
            if (firstOrChanged) carried++;
            for (int c = 0; c < b.GetProperty("threshold").GetArrayLength(); c++)
            {
                Assert.Equal(c == 0 && lastTick >= 55 ? 99 : 10 + c, b.GetProperty("threshold")[c].GetDouble(), 4);
                Assert.Equal(20 + c, b.GetProperty("gate")[c].GetDouble(), 4);
            }
            double[][] innov = Column(b.GetProperty("innovation"), layout.Count, n), det = Column(b.GetProperty("detector"), layout.Count, n),
                score = Column(b.GetProperty("score"), layout.Count, n), ext = Column(b.GetProperty("externalTorque"), layout.JointCount, n);
            var over = b.GetProperty("over").EnumerateArray().Select(e => e.GetInt32()).ToList();
            int at = 0;
            for (int r = 0; r < n; r++)
            {
                long t = tick[r];
                ticks.Add(t);
                Assert.Equal(1_000_000_000_000L + t * 1_000_000, tns[r]);
                Assert.Equal((int)SafetyState.Operational, b.GetProperty("safety")[r].GetInt32());
                Assert.True(b.GetProperty("valid")[r].GetBoolean());
                Assert.Equal((int)(t % layout.Count), b.GetProperty("worst")[r].GetInt32());
                Assert.Equal(0.5, b.GetProperty("ratio")[r].GetDouble(), 6);
                var expectOver = Enumerable.Range(0, layout.Count).Where(c => (t + c) % 7 == 0).ToList();
                Assert.Equal(expectOver.Count, b.GetProperty("overCount")[r].GetInt32());
                Assert.Equal(expectOver, over.GetRange(at, expectOver.Count));
                at += expectOver.Count;
                for (int c = 0; c < layout.Count; c++)
                {
                    // One varint byte per value: the resolution is 1/126 of the series' largest magnitude in the batch.
                    double expect = c == 5 ? 0 : Fixtures.Value(t, c, 1);
                    Assert.True(Math.Abs(innov[c][r] - expect) <= Tolerance(c == 5 ? 0 : 2 + layout.Count * 0.01), $"innov tick {t} ch {c}: {innov[c][r]} vs {expect}");
                    Assert.True(Math.Abs(score[c][r] - Fixtures.Value(t, c, 2)) <= Tolerance(3 + layout.Count * 0.01));
                    Assert.True(Math.Abs(det[c][r] - Fixtures.Value(t, c, 3)) <= Tolerance(4 + layout.Count * 0.01));
                }
                for (int j = 0; j < layout.JointCount; j++)
                    Assert.True(Math.Abs(ext[j][r] - Fixtures.Value(t, j, 4)) <= Tolerance(5 + layout.JointCount * 0.01));
            }
            Assert.Equal(over.Count, at);
        }
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), ticks);
        Assert.Equal(2, carried);
    }

    /// <summary>Half a quantisation step of a series whose magnitude stays below <paramref name="max"/>, plus float rounding.</summary>
    private static double Tolerance(double max) => max / DivergenceProto.QMax / 2 + 1e-5 * max;

    private static long[] Deltas(JsonElement a)
    {
        var v = a.EnumerateArray().Select(e => long.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        for (int i = 1; i < v.Length; i++) v[i] += v[i - 1];
        return v;
    }

    /// <summary>Column.bits as the .proto describes it, written from the schema text (not from the encoder).</summary>
    private static int[] Unpack(byte[] bits, int series, int count)
    {
        var q = new List<int>();
        int bit = 0;
        int Raw(int width)
        {
            int z = 0;
            for (int i = 0; i < width; i++, bit++) z |= ((bits[bit / 8] >> (bit % 8)) & 1) << i;
            return z;
        }
        int Read(int width) { int z = Raw(width); return (z >> 1) ^ -(z & 1); }
        for (int s = 0; s < series; s++)
        {
            bit = (bit + 7) / 8 * 8; // each series starts on a byte
            int header = Raw(8);
            int mode = header >> 4, width = header & 0xF;
            Assert.InRange(mode, 0, 1);
            if (mode == 0) { for (int r = 0; r < count; r++) q.Add(Read(width)); continue; }
            int v = Read(8);
            q.Add(v);
            for (int r = 1; r < count; r++) q.Add(v += Read(width));
        }
        Assert.Equal(bits.Length, (bit + 7) / 8); // nothing left over
        return [.. q];
    }

    private static double[][] Column(JsonElement col, int series, int count)
    {
        var scale = col.GetProperty("scale").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var q = col.GetProperty("q").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(series, scale.Length);
        // protobufjs gives bytes as a Buffer, which JSON.stringify writes as {"type":"Buffer","data":[…]}.
        JsonElement raw = col.GetProperty("bits");
        byte[] bits = raw.ValueKind == JsonValueKind.String ? Convert.FromBase64String(raw.GetString()!)
            : [.. raw.GetProperty("data").EnumerateArray().Select(e => (byte)e.GetInt32())];
        if (bits.Length > 0)
        {
            Assert.Empty(q); // one form or the other
            q = Unpack(bits, scale.Count(x => x != 0), count);
        }
        var result = new double[series][];
        int k = 0;
        for (int s = 0; s < series; s++)
        {
            result[s] = new double[count];
            if (scale[s] == 0) continue;
            for (int r = 0; r < count; r++) result[s][r] = q[k++] * scale[s];
        }
        Assert.Equal(q.Length, k);
        return result;
    }

    [Fact]
    public void Summary_carries_per_group_worst_ratio_with_the_statistics_that_make_it_and_the_counters()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/summary");
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 10), layout, "r1", log.Add, Options with { SummaryHz = 20 });
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        var state = Fixtures.State(layout);
        for (long t = 0; t < 100; t++)
        {
            if (t > 60 && t < 70) continue; // ticks 61..69 never reach telemetry: missed ticks, not ring drops
            Fixtures.Fill(state, t);
            svc.Sink.Enqueue(state);
        }
        Assert.True(sub.WaitFor(m => m.Any(x => Counter(x, "records") == 91), TimeSpan.FromSeconds(10)), "no summary counted all records");
        Assert.Equal("application/json", sub.ContentTypeOf(svc.Topics.Summary));
        JsonElement last = JsonDocument.Parse(sub.Snapshot().Last(x => Counter(x, "records") == 91).Payload).RootElement;
        Assert.Equal(2, last.GetProperty("v").GetInt32());
        Assert.Equal(svc.RunId, last.GetProperty("run").GetInt64());
        Assert.True(last.GetProperty("utc_ns").GetInt64() > 0);
        Assert.Equal(1, last.GetProperty("minor").GetInt32());
        Assert.Equal("Operational", last.GetProperty("safety").GetString());
        Assert.Equal(9, last.GetProperty("counters").GetProperty("missed_ticks").GetInt64());
        Assert.Equal(0, last.GetProperty("counters").GetProperty("dropped_ring").GetInt64());

        // Every summary: per group the ratio is recomputable from what it publishes, and lies in that group.
        var kinds = layout.Channels.Select(c => c.Kind.ToString()).Distinct().ToList();
        foreach (var m in sub.Snapshot())
        {
            JsonElement s = JsonDocument.Parse(m.Payload).RootElement;
            JsonElement ratio = s.GetProperty("ratio"), stats = s.GetProperty("stats");
            Assert.Equal(kinds, ratio.EnumerateObject().Select(g => g.Name).ToList());
            Assert.Equal(kinds, stats.EnumerateObject().Select(g => g.Name).ToList());
            if (Counter(m, "records") == 0) continue;
            foreach (JsonProperty g in stats.EnumerateObject())
            {
                // No record of this group in the period: null in both maps.
                Assert.Equal(g.Value.ValueKind == JsonValueKind.Null, ratio.GetProperty(g.Name).ValueKind == JsonValueKind.Null);
                if (g.Value.ValueKind == JsonValueKind.Null) continue;
                double[] x = [.. g.Value.EnumerateArray().Select(v => v.GetDouble())]; // [channel, det, thr, score, gate]
                Assert.Equal(5, x.Length);
                int c = (int)x[0];
                Assert.Equal(g.Name, layout.Channels[c].Kind.ToString());
                double recomputed = Math.Max(x[1] / x[2], x[3] / x[4]);
                // Each number has 4 significant digits (docs/TELEMETRY.md), so the ratio recomputes to about 1e-3 relative.
                Assert.InRange(Math.Abs(recomputed - ratio.GetProperty(g.Name).GetDouble()), 0, 2e-3 * Math.Max(recomputed, 1e-6));
            }
            // "worst" names the group with the largest ratio.
            var ratios = ratio.EnumerateObject().Where(g => g.Value.ValueKind != JsonValueKind.Null).ToDictionary(g => g.Name, g => g.Value.GetDouble());
            if (s.GetProperty("worst").ValueKind == JsonValueKind.Null) Assert.Empty(ratios); // no record in this period
            else Assert.Equal(ratios.Values.Max(), ratios[s.GetProperty("worst").GetString()!]);
        }
    }

    private static long Counter(TestSubscriber.Received m, string name) =>
        JsonDocument.Parse(m.Payload).RootElement.GetProperty("counters").GetProperty(name).GetInt64();

    [Fact]
    public void Two_sessions_of_one_robot_have_their_own_client_ids_and_intact_streams()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/divergence");
        using var a = new TelemetryService(Fixtures.Section(broker.Uri, Path.Combine(_dir, "a"), batch: 10), layout, "r1", log.Add, Options);
        using var b = new TelemetryService(Fixtures.Section(broker.Uri, Path.Combine(_dir, "b"), batch: 10), layout, "r1", log.Add, Options with { RunId = a.RunId + 1 });
        Assert.NotEqual(a.ClientId, b.ClientId);
        a.Start();
        b.Start();
        Assert.True(a.WaitConnected(TimeSpan.FromSeconds(10)) && b.WaitConnected(TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        var state = Fixtures.State(layout);
        for (long t = 0; t < 300; t++)
        {
            Fixtures.Fill(state, t);
            a.Sink.Enqueue(state);
            b.Sink.Enqueue(state);
            if (t % 50 == 0) Thread.Sleep(20);
        }
        Assert.True(sub.WaitFor(m => m.Count >= 60, TimeSpan.FromSeconds(15)), $"{sub.Snapshot().Count} of 60 batches");
        Thread.Sleep(1500); // a client-id clash would show as reconnects by now (the broker drops the older connection)
        Assert.Equal(1, a.Stats.Connects);
        Assert.Equal(1, b.Stats.Connects);
        Assert.DoesNotContain(log.Lines, l => l.Contains("lost", StringComparison.Ordinal));
        Assert.Equal(0, a.Stats.LinkDropped + b.Stats.LinkDropped);
    }

    [Fact]
    public void A_trip_is_retained_on_last_trip_for_subscribers_that_come_later()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var log = new Fixtures.Log(output);
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        using (var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir), Fixtures.Layout(), "r1", log.Add, Options, journal: safetyLog.Journal))
        {
            svc.Start();
            Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
            safetyLog.Log(svc, Fixtures.Event(3)); // Cat1: a trip
            Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(10)));
        }
        using var late = new TestSubscriber(broker.Uri, "rt/r1/last_trip");
        Assert.True(late.WaitFor(m => m.Any(), TimeSpan.FromSeconds(10)), "no retained last trip");
        var trip = late.Snapshot().Last();
        Assert.True(trip.Retained);
        JsonElement e = JsonDocument.Parse(trip.Payload).RootElement;
        Assert.Equal(3, e.GetProperty("id").GetInt64());
        Assert.Equal("TwinDivergence", e.GetProperty("trigger").GetString());
        Assert.Equal("Cat1", e.GetProperty("reaction").GetString());
    }

    [SkippableFact]
    public void Joint_states_and_imu_are_cdr_that_foxgloves_ros2_reader_decodes_against_sensor_msgs()
    {
        string root = Fixtures.RepoRoot();
        Skip.IfNot(Directory.Exists(Path.Combine(root, "tools", "node", "node_modules", "@foxglove", "rosmsg2-serialization")), "tools/node not installed (tools/setup.sh runs npm ci)");
        Skip.If(!Exists("node"), "node not installed");
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/#");
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 10), layout, "r1", log.Add, Options);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        var state = Fixtures.State(layout);
        Fixtures.Fill(state, 42);
        svc.Sink.Enqueue(state);
        string jointTopic = "rt/r1/joint_states", imuTopic = "rt/r1/imu/pelvis_imu";
        Assert.True(sub.WaitFor(m => m.Any(x => x.Topic == jointTopic) && m.Any(x => x.Topic == imuTopic), TimeSpan.FromSeconds(10)), "no ROS topics");
        Assert.Equal(RosTopics.JointStateType, sub.ContentTypeOf(jointTopic));

        JsonElement js = DecodeRos(root, "JointState", sub.On(jointTopic).Last().Raw);
        Assert.Equal(Fixtures.Joints, js.GetProperty("name").EnumerateArray().Select(e => e.GetString()!).ToArray());
        long sec = js.GetProperty("header").GetProperty("stamp").GetProperty("sec").GetInt64();
        Assert.InRange(sec, TelemetryClock.UtcNs() / 1_000_000_000 - 60, TelemetryClock.UtcNs() / 1_000_000_000);
        for (int j = 0; j < layout.JointCount; j++)
        {
            Assert.Equal(Fixtures.Value(42, j, 5), js.GetProperty("position")[j].GetDouble(), 5);
            Assert.Equal(Fixtures.Value(42, j, 6), js.GetProperty("velocity")[j].GetDouble(), 5);
            Assert.Equal(Fixtures.Value(42, j, 7), js.GetProperty("effort")[j].GetDouble(), 5);
        }
        JsonElement imu = DecodeRos(root, "Imu", sub.On(imuTopic).Last().Raw);
        Assert.Equal("pelvis_imu", imu.GetProperty("header").GetProperty("frame_id").GetString());
        Assert.Equal(-1, imu.GetProperty("orientation_covariance")[0].GetDouble());
        Assert.Equal(Fixtures.Value(42, 0, 8), imu.GetProperty("angular_velocity").GetProperty("x").GetDouble(), 5);
        Assert.Equal(Fixtures.Value(42, 0, 10), imu.GetProperty("angular_velocity").GetProperty("z").GetDouble(), 5);
        Assert.Equal(Fixtures.Value(42, 0, 11), imu.GetProperty("linear_acceleration").GetProperty("x").GetDouble(), 5);
        Assert.Equal(Fixtures.Value(42, 0, 13), imu.GetProperty("linear_acceleration").GetProperty("z").GetDouble(), 5);
    }

    private JsonElement DecodeRos(string root, string type, byte[] raw)
    {
        string f = Path.Combine(_dir, $"{type}.cdr");
        File.WriteAllBytes(f, raw);
        var psi = new ProcessStartInfo("node", [Path.Combine(root, "tools", "node", "decode-ros.mjs"), type, f]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    /// <summary>A lockstep loop runs as fast as it can; waiting for the publisher between ticks, it loses no record.</summary>
    [Fact]
    public void Lockstep_waiting_for_the_publisher_drops_no_record()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/divergence");
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 50), layout, "r1", log.Add, Options with { RingCapacity = 64 });
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        var state = Fixtures.State(layout);
        const int n = 5000; // 78 rings' worth, pushed without pause: without the wait the ring overflows
        for (long t = 0; t < n; t++)
        {
            Assert.True(svc.WaitForPublisher(TimeSpan.FromSeconds(30)), $"publisher did not catch up at tick {t}");
            Fixtures.Fill(state, t);
            svc.Sink.Enqueue(state);
        }
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.RecordsPublished == n, TimeSpan.FromSeconds(30)), $"{svc.Stats.RecordsPublished} of {n} published");
        Assert.Equal(0, svc.Stats.RingDropped);
        Assert.Equal(0, svc.Stats.LinkDropped);
        Assert.True(sub.WaitFor(m => m.Sum(x => TelemetryPayloads.DecodeDivergence(x.Raw).Records.Count) == n, TimeSpan.FromSeconds(30)), "not every record arrived");
    }

    private static bool Exists(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
