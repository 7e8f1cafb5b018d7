using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Telemetry;
using Rt.Telemetry.Link;
using Rt.Telemetry.Native;

namespace Rt.Perf;

/// <summary>
/// <c>rt bench telemetry</c>: the tick's cost (ring push median, allocation) and a sustained 1 kHz stream of
/// 12-joint divergence records through a real broker, with the publisher thread's CPU share. Prints
/// <c>name: value unit</c> lines. Not real-time safe.
/// </summary>
public static class TelemetryPerf
{
    /// <summary>
    /// Not real-time safe. <paramref name="broker"/> null starts a throwaway local mosquitto.
    /// <paramref name="outageS"/> &gt; 0 stops the broker for that long in the middle of the stream.
    /// </summary>
    public static void Run(TextWriter output, double seconds = 10, string? broker = null, int batchSize = 50, double outageS = 0,
        PayloadEncoding encoding = PayloadEncoding.Protobuf, bool subscriber = true)
    {
        string[] joints =
        [
            "l_hip_yaw", "l_hip_roll", "l_hip_pitch", "l_knee", "l_ankle_pitch", "l_ankle_roll",
            "r_hip_yaw", "r_hip_roll", "r_hip_pitch", "r_knee", "r_ankle_pitch", "r_ankle_roll",
        ];
        var layout = new ChannelLayout(joints, ["pelvis_imu"]);
        var state = new TickState(joints.Length, 1, layout);
        Fill(state, 0);

        PushCost(output, layout, state);

        string dir = Path.Combine(Path.GetTempPath(), $"rt-telemetry-bench-{Environment.ProcessId}");
        LocalBroker? local = null;
        try
        {
            if (broker is null)
            {
                // With an outage the broker keeps sessions across its restart (SIGTERM saves them) and the subscriber's
                // session is persistent, as a fleet tool's is: events published after the reconnect, before the
                // subscriber is back, wait for it instead of going to nobody (which is MQTT, not a loss of ours).
                local = new LocalBroker(Path.Combine(dir, "broker"), persistence: outageS > 0).Start();
                broker = local.Uri;
            }
            Sustained(output, layout, state, broker, seconds, batchSize, outageS, local, dir, encoding, subscriber);
        }
        finally
        {
            local?.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static void PushCost(TextWriter output, ChannelLayout layout, TickState state)
    {
        // Like the service: default ring size, the consumer takes 5 records at a time (1 kHz, 5 ms polls), so
        // the producer walks the whole ring and mostly writes slots that have left the nearer caches.
        var sink = new TelemetrySink(layout, new TelemetryOptions().RingCapacity);
        var scratch = new double[sink.Slot.Width];
        const int samples = 50_000;
        var pushNs = new double[samples];
        double tickNs = 1e9 / Stopwatch.Frequency;
        // Steady state: run well past the JIT's tiering delay (tier-0 code would be measured otherwise).
        var warmup = Stopwatch.StartNew();
        for (int warm = 0; warmup.ElapsedMilliseconds < 1000; warm++)
        {
            sink.Enqueue(state);
            sink.Ring.TryRead(out _, scratch);
            if (warm % 256 == 0) Thread.Sleep(1); // leave the background compiler a core
        }
        long allocBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int s = 0; s < samples; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            sink.Enqueue(state);
            pushNs[s] = (Stopwatch.GetTimestamp() - t0) * tickNs;
            if (s % 5 == 4) while (sink.Ring.TryRead(out _, scratch)) { }
        }
        long alloc = GC.GetAllocatedBytesForCurrentThread() - allocBefore;

        // Hot: 64 pushes timed together (timer overhead amortised), ring emptied between samples.
        const int perSample = 64, hotSamples = 10_000;
        var hotNs = new double[hotSamples];
        for (int s = 0; s < hotSamples; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < perSample; i++) sink.Enqueue(state);
            hotNs[s] = (Stopwatch.GetTimestamp() - t0) * tickNs / perSample;
            while (sink.Ring.TryRead(out _, scratch)) { }
        }
        // Timer cost, to read the single-push figures against.
        var timerNs = new double[samples];
        for (int s = 0; s < samples; s++) { long t0 = Stopwatch.GetTimestamp(); timerNs[s] = (Stopwatch.GetTimestamp() - t0) * tickNs; }
        Array.Sort(pushNs);
        Array.Sort(hotNs);
        Array.Sort(timerNs);
        output.WriteLine($"telemetry.push.median: {F(pushNs[samples / 2])} ns (single push timed, includes {F(timerNs[samples / 2])} ns timer cost)");
        output.WriteLine($"telemetry.push.p99: {F(pushNs[(int)(samples * 0.99)])} ns");
        output.WriteLine($"telemetry.push.hot.median: {F(hotNs[hotSamples / 2])} ns (64 back-to-back pushes, cache-warm)");
        output.WriteLine($"telemetry.push.allocated: {alloc} bytes");
        output.WriteLine($"telemetry.record.width: {sink.Slot.Width} doubles ({layout.Count} channels, {layout.JointCount} joints), ring {sink.Ring.Capacity} slots");
    }

    private static void Sustained(TextWriter output, ChannelLayout layout, TickState state, string broker, double seconds,
        int batchSize, double outageS, LocalBroker? local, string dir, PayloadEncoding encoding, bool subscribe)
    {
        var section = new TelemetrySection
        {
            Enabled = true, Broker = broker, RobotId = "bench", BatchSize = batchSize, Decimation = 1,
            OutboxPath = Path.Combine(dir, "outbox"),
        };
        var lines = new List<string>();
        long received = 0, bytes = 0, messages = 0, summaryBytes = 0;
        var safetyArrived = new System.Collections.Concurrent.ConcurrentDictionary<long, long>();
        Directory.CreateDirectory(dir);
        var safetyLog = new Rt.Safety.SafetyLogWriter(Path.Combine(dir, "safety.log"));
        // Wired as the host wires it: safety events are published from the fsynced safety log.
        using var svc = new TelemetryService(section, layout, "bench", l => { lock (lines) lines.Add(l); },
            new TelemetryOptions { KeepAliveS = 5, ConnectWatchdogS = 5, Encoding = encoding },
            journal: new Rt.Safety.SafetyLogJournal(Path.Combine(dir, "safety.log")));
        using var sub = new MqttSubscriber(new MqttConnectOptions(BrokerUri.Parse(broker), $"rt-bench-sub-{Environment.ProcessId}") { CleanSession = outageS <= 0 }, svc.Topics.All)
        {
            MessageReceived = (topic, payload, retained) =>
            {
                long now = Stopwatch.GetTimestamp();
                if (topic.EndsWith("/summary", StringComparison.Ordinal)) { Interlocked.Add(ref summaryBytes, payload.Length); return; }
                if (topic.EndsWith("/safety", StringComparison.Ordinal))
                {
                    using var doc = System.Text.Json.JsonDocument.Parse(payload.ToArray());
                    safetyArrived.TryAdd(doc.RootElement.GetProperty("id").GetInt64(), now);
                    return;
                }
                if (!topic.EndsWith("/divergence", StringComparison.Ordinal)) return;
                Interlocked.Add(ref bytes, payload.Length);
                Interlocked.Increment(ref messages);
                Interlocked.Add(ref received, TelemetryPayloads.DecodeDivergence(payload).Records.Count);
            },
        };
        // Without the in-process subscriber (an external one counts, e.g. tools/telemetry-latency.py) the process's GC
        // counts are the publisher's, the MQTT client's and the stand-ins' for the tick and the safety log only.
        if (subscribe) sub.Start();
        svc.Start();
        if (!svc.WaitConnected(TimeSpan.FromSeconds(10)))
        {
            output.WriteLine($"telemetry.error: could not connect to {broker}: {string.Join("; ", lines)}");
            return;
        }
        if (subscribe) sub.Subscribed.Wait(TimeSpan.FromSeconds(10));
        // As the host's real-time scheduler does (loop.no_gc_region_mb: -1): the process runs in a no-GC region of
        // 256 MiB plus an hour of this telemetry's allocations (32 MiB of it for large objects), so the question is
        // whether it lasts the run (the bench's 20 safety events/s are not in that budget: a robot does not raise them).
        long noGcBytes = (256L << 20) + svc.AllocationPerHourBytes(1000);
        bool noGc;
        try { noGc = GC.TryStartNoGCRegion(noGcBytes, 32L << 20); }
        catch (ArgumentOutOfRangeException) { noGc = false; }
        catch (InvalidOperationException) { noGc = false; }
        int gc0 = GC.CollectionCount(0), gc1 = GC.CollectionCount(1), gc2 = GC.CollectionCount(2);
        long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        long messages0 = svc.Stats.MessagesPublished;

        // The producer stands in for the tick: 1 kHz on average, one push per record. A second thread stands in for the
        // safety log thread: every 50 ms an event is appended, fsynced and handed to telemetry; its latency runs from
        // before the append (the tick that raised it) to the subscriber.
        var producer = new Thread(() => Produce(svc.Sink, state, seconds, outageS, local)) { Name = "bench-tick" };
        var raised = new System.Collections.Concurrent.ConcurrentDictionary<long, long>();
        TelemetryService s2 = svc;
        var safetyThread = new Thread(() =>
        {
            var until = Stopwatch.StartNew();
            for (long id = 1; until.Elapsed.TotalSeconds < seconds; id++)
            {
                var e = new SafetyEvent(id, id, id * 1_000_000, SafetyState.Operational, SafetyState.Operational,
                    Rt.Core.Faults.FaultCode.TelemetryDropped, -1, StopCategory.Warning, 0, 0);
                raised[id] = Stopwatch.GetTimestamp();
                safetyLog.Append(e, (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
                safetyLog.Flush();
                s2.PublishSafetyEvent(e);
                Thread.Sleep(50);
            }
        }) { Name = "bench-safety-log" };
        long cpu0 = svc.Stats.PublisherCpuNs;
        Dictionary<string, long> threads0 = ThreadCpuNs();
        var proc = Process.GetCurrentProcess();
        TimeSpan procCpu0 = proc.TotalProcessorTime;
        long t0 = Stopwatch.GetTimestamp();
        producer.Start();
        safetyThread.Start();
        producer.Join();
        safetyThread.Join();
        Thread.Sleep(300); // last partial batch (flush interval 0.1 s)
        double wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        Dictionary<string, long> threads1 = ThreadCpuNs();
        proc.Refresh();
        double procCpu = (proc.TotalProcessorTime - procCpu0).TotalSeconds;
        TelemetryStats st = svc.Stats;
        double pubCpu = (st.PublisherCpuNs - cpu0) / 1e9;
        output.WriteLine($"telemetry.gc.collections: {GC.CollectionCount(0) - gc0} gen0, {GC.CollectionCount(1) - gc1} gen1, {GC.CollectionCount(2) - gc2} gen2 " +
                         $"(whole process during the stream{(subscribe ? ", in-process subscriber included" : "")})");
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated0;
        bool regionHeld = GCSettings.LatencyMode == GCLatencyMode.NoGCRegion;
        if (regionHeld) GC.EndNoGCRegion();
        output.WriteLine($"telemetry.process.allocated: {F(allocated / wall / 1e3)} kB/s");
        output.WriteLine($"telemetry.process.allocated.per_message: {F(allocated / (double)Math.Max(1, st.MessagesPublished - messages0))} B/message " +
                         "(whole process: publisher, MQTTnet, the bench's tick and safety-log stand-ins)");
        output.WriteLine(noGc
            ? $"telemetry.gc.nogc_region: {(regionHeld ? "held" : "ended by a GC")}, {noGcBytes >> 20} MB lasts {F(noGcBytes / Math.Max(1, allocated / wall) / 3600)} h at this rate"
            : "telemetry.gc.nogc_region: refused by the runtime");
        output.WriteLine($"telemetry.messages.published: {st.MessagesPublished - messages0} ({F((st.MessagesPublished - messages0) / wall)} /s)");
        output.WriteLine($"telemetry.safety.connects: {st.SafetyConnects} (safety connection), bulk {st.Connects}");

        output.WriteLine($"telemetry.stream.rate: {F(_produced / seconds)} records/s");
        output.WriteLine($"telemetry.stream.batch: {batchSize} records/message, {encoding} encoding");
        output.WriteLine($"telemetry.publisher.cpu: {F(100 * pubCpu / wall)} %");
        output.WriteLine($"telemetry.process.cpu: {F(100 * procCpu / wall)} % (publisher, MQTTnet, bench producer and subscriber)");
        // Per thread from /proc/self/task/*/schedstat (ns on a CPU): the publisher's threads, the runtime's threads that
        // run MQTTnet's continuations (thread pool, socket event loop, timers) and the bench's stand-ins, which are not telemetry.
        var byName = new Dictionary<string, long>();
        foreach (var (key, ns) in threads1)
        {
            string name = key[(key.IndexOf(' ') + 1)..];
            byName[name] = byName.GetValueOrDefault(name) + ns - threads0.GetValueOrDefault(key);
        }
        long benchNs = 0, otherNs = 0;
        foreach (var (name, ns) in byName.OrderByDescending(kv => kv.Value))
        {
            if (ns <= 0) continue;
            if (name.StartsWith("bench-", StringComparison.Ordinal) || (subscribe && name == "rt-bench-sub")) benchNs += ns;
            else otherNs += ns;
            output.WriteLine($"telemetry.thread.cpu: {F(100 * ns / 1e9 / wall)} % {name}");
        }
        output.WriteLine($"telemetry.publisher.cpu.all_threads: {F(100 * otherNs / 1e9 / wall)} % (every thread of the process but the bench's tick and " +
                         $"safety-log stand-ins{(subscribe ? "; the in-process subscriber's MQTTnet work is included" : "")}: publisher, cursor writer, MQTTnet's thread-pool and socket work)");
        output.WriteLine($"telemetry.records.produced: {_produced}");
        output.WriteLine($"telemetry.records.published: {st.RecordsPublished}");
        output.WriteLine($"telemetry.records.received: {Interlocked.Read(ref received)}");
        output.WriteLine($"telemetry.records.dropped: {st.LinkDropped + st.RingDropped} (ring {st.RingDropped}, link {st.LinkDropped})");
        output.WriteLine($"telemetry.message.bytes: {Interlocked.Read(ref bytes) / Math.Max(1, Interlocked.Read(ref messages))} bytes/message");
        output.WriteLine($"telemetry.record.bytes: {F((double)Interlocked.Read(ref bytes) / Math.Max(1, Interlocked.Read(ref received)))} bytes/record");
        output.WriteLine($"telemetry.link.throughput: {F(Interlocked.Read(ref bytes) / wall / 1e6)} MB/s");
        output.WriteLine($"telemetry.divergence.rate: {F(Interlocked.Read(ref bytes) / wall / 1e3)} kB/s");
        output.WriteLine($"telemetry.summary.rate: {F(Interlocked.Read(ref summaryBytes) / wall / 1e3)} kB/s");
        var latencies = raised.Where(kv => safetyArrived.ContainsKey(kv.Key))
            .Select(kv => (safetyArrived[kv.Key] - kv.Value) * 1e3 / Stopwatch.Frequency).Order().ToArray();
        output.WriteLine($"telemetry.safety.delivered: {latencies.Length} of {raised.Count} events");
        svc.Stop(); // the safety thread waits (≤ 2 s) for the last acknowledgements and stores the cursor
        output.WriteLine($"telemetry.safety.pending: {svc.Stats.OutboxPending} events (in the safety log after the stored cursor once stopped: not acknowledged by the broker)");
        if (subscribe)
        {
            // Every event once the publisher stopped (its last acknowledgements are in): which ones never reached the
            // subscriber, and when they were raised (an event the broker acknowledged and lost when it was killed is
            // the broker's: mosquitto without persistence keeps queued messages only in memory).
            var wait = Stopwatch.StartNew();
            while (raised.Keys.Any(id => !safetyArrived.ContainsKey(id)) && wait.Elapsed < TimeSpan.FromSeconds(3)) Thread.Sleep(50);
            long[] missing = [.. raised.Keys.Where(id => !safetyArrived.ContainsKey(id)).Order()];
            output.WriteLine($"telemetry.safety.delivered.after_stop: {raised.Count - missing.Length} of {raised.Count} events");
            double outageStart = (seconds - outageS) / 2;
            foreach (long id in missing.Take(10))
            {
                double at = (raised[id] - t0) / (double)Stopwatch.Frequency;
                string where = outageS <= 0 ? "" : at < outageStart ? " (before the outage)" : at < outageStart + outageS ? " (during the outage)" : " (after the outage)";
                output.WriteLine($"telemetry.safety.missing: id {id} raised at {F(at)} s{where}");
            }
        }
        if (latencies.Length > 0)
        {
            output.WriteLine($"telemetry.safety.latency.p50: {F(latencies[latencies.Length / 2])} ms (append + fsync + publish + broker + subscriber)");
            output.WriteLine($"telemetry.safety.latency.p99: {F(latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * 0.99))])} ms");
        }
        safetyLog.Dispose();
        output.WriteLine($"telemetry.push.max: {F(_maxPushNs)} ns");
        if (outageS > 0) output.WriteLine($"telemetry.push.max_during_outage: {F(_maxPushOutageNs)} ns");
        lock (lines) foreach (string l in lines) output.WriteLine($"# {l}");
    }

    /// <summary>CPU ns per thread of this process ("tid name" → ns), from /proc/self/task/*/schedstat; empty where there is no /proc.</summary>
    private static Dictionary<string, long> ThreadCpuNs()
    {
        var result = new Dictionary<string, long>();
        if (!Directory.Exists("/proc/self/task")) return result;
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                string name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                string stat = File.ReadAllText(Path.Combine(task, "schedstat"));
                if (long.TryParse(stat.AsSpan(0, stat.IndexOf(' ')), NumberStyles.None, CultureInfo.InvariantCulture, out long ns))
                    result[$"{Path.GetFileName(task)} {name}"] = ns;
            }
            catch (IOException) { } // the thread ended meanwhile
        }
        return result;
    }

    private static long _produced;
    private static double _maxPushNs, _maxPushOutageNs;

    private static void Produce(TelemetrySink sink, TickState state, double seconds, double outageS, LocalBroker? local)
    {
        NonRealtimeThread.Apply();
        _produced = 0;
        _maxPushNs = 0;
        _maxPushOutageNs = 0;
        long total = (long)(seconds * 1000);
        double outageStart = (seconds - outageS) / 2;
        bool inOutage = false, outageDone = outageS <= 0 || local is null;
        long start = Stopwatch.GetTimestamp();
        long tick = 0;
        while (tick < total)
        {
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (!outageDone && !inOutage && elapsed >= outageStart) { inOutage = true; ThreadPool.QueueUserWorkItem(_ => local!.Stop()); }
            if (inOutage && elapsed >= outageStart + outageS) { inOutage = false; outageDone = true; ThreadPool.QueueUserWorkItem(_ => local!.Start()); }
            long due = Math.Min(total, (long)(elapsed * 1000));
            for (; tick < due; tick++)
            {
                Fill(state, tick);
                long p0 = Stopwatch.GetTimestamp();
                sink.Enqueue(state);
                double ns = (Stopwatch.GetTimestamp() - p0) * 1e9 / Stopwatch.Frequency;
                if (ns > _maxPushNs) _maxPushNs = ns;
                if (inOutage && ns > _maxPushOutageNs) _maxPushOutageNs = ns;
                _produced++;
            }
            Thread.Sleep(1);
        }
    }

    private static void Fill(TickState s, long tick)
    {
        s.Tick = tick;
        s.TimeNs = tick * 1_000_000;
        s.SafetyState = SafetyState.Operational;
        DivergenceRecord d = s.Divergence;
        d.Valid = true;
        for (int c = 0; c < d.Score.Length; c++)
        {
            double x = Math.Sin(tick * 0.01 + c);
            d.Innovation[c] = 1e-3 * x;
            d.Score[c] = x * x;
            d.Detector[c] = 2 + x;
            d.Threshold[c] = 12.5;
            d.Gate[c] = 15;
            d.OverThreshold[c] = false;
        }
        for (int j = 0; j < d.ExternalTorque.Length; j++) d.ExternalTorque[j] = 0.1 * Math.Cos(tick * 0.01 + j);
    }

    private static string F(double x) => x.ToString(x >= 100 ? "F0" : "F2", CultureInfo.InvariantCulture);
}
