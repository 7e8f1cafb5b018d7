using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.TestSupport;
using Rt.Twin.Recording;
using Rt.Twin.Recording.Mcap;

namespace Rt.Twin.Tests;

/// <summary>
/// The MCAP writer against the specification (byte layout, CRCs, indexes, summary) and, through Node, against the
/// MCAP project's own reader and the ROS 2 CDR decoder (tools/node/check-mcap.mjs).
/// </summary>
public sealed class McapTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-mcap-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Crc32_is_the_zlib_crc_the_specification_names()
    {
        Assert.Equal(0xCBF43926u, McapCrc32.Compute("123456789"u8));
        Assert.Equal(0u, McapCrc32.Compute([]));
        // Incremental over odd splits equals one pass (the writer feeds the data section in pieces).
        var data = Enumerable.Range(0, 1001).Select(i => (byte)(i * 7)).ToArray();
        uint crc = McapCrc32.Initial;
        crc = McapCrc32.Update(crc, data.AsSpan(0, 3));
        crc = McapCrc32.Update(crc, data.AsSpan(3, 500));
        crc = McapCrc32.Update(crc, data.AsSpan(503));
        Assert.Equal(McapCrc32.Compute(data), McapCrc32.Final(crc));
    }

    [Fact]
    public void Cdr_aligns_to_the_field_size_counted_after_the_encapsulation_header()
    {
        var w = new CdrWriter(8).Begin();
        w.Bool(true);          // rel 0
        w.Float64(1.5);        // padded to rel 8
        w.String("ab");        // u32 3 at rel 16, "ab\0" at 20..22
        w.Float64Sequence([2.0]); // u32 1 at rel 24 (23 padded), double padded from 28 to rel 32
        var b = w.Written.ToArray();
        Assert.Equal(new byte[] { 0, 1, 0, 0 }, b[..4]);
        Assert.Equal(1, b[4]);
        Assert.Equal(1.5, BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(4 + 8)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(4 + 16)));
        Assert.Equal("ab\0"u8.ToArray(), b[(4 + 20)..(4 + 23)]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(4 + 24)));
        Assert.Equal(2.0, BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(4 + 32)));
        Assert.Equal(4 + 40, b.Length);
    }

    /// <summary>Walks the file as the specification lays it out and checks every offset, length and CRC.</summary>
    [Fact]
    public void Writer_lays_out_magic_header_chunks_indexes_summary_and_footer_as_the_specification_says()
    {
        string path = Path.Combine(_dir, "layout.mcap");
        using (var w = McapWriter.Create(path, "ros2", "test", chunkSize: 200))
        {
            w.AddMetadata("m", [new("k", "v")]);
            ushort s = w.AddSchema("std_msgs/msg/String", "ros2msg", "string data\n"u8);
            var a = w.AddChannel(s, "/a", "cdr");
            var b = w.AddChannel(s, "/b", "cdr");
            for (uint i = 0; i < 20; i++) w.WriteMessage(i % 3 == 0 ? b : a, i, 1000 + i, 1000 + i, [1, 2, 3, (byte)i]);
        }
        var f = File.ReadAllBytes(path);
        Assert.Equal(McapFormat.Magic.ToArray(), f[..8]);
        Assert.Equal(McapFormat.Magic.ToArray(), f[^8..]);
        Assert.Equal((byte)McapOpcode.Header, f[8]);

        // Footer: the last record before the trailing magic, 20 bytes of content.
        int footer = f.Length - 8 - McapFormat.RecordPrefixBytes - McapFormat.FooterContentBytes;
        Assert.Equal((byte)McapOpcode.Footer, f[footer]);
        Assert.Equal(20ul, BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(footer + 1)));
        long summaryStart = (long)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(footer + 9));
        long summaryOffsetStart = (long)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(footer + 17));
        uint summaryCrc = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(footer + 25));
        Assert.Equal(McapCrc32.Compute(f.AsSpan((int)summaryStart, footer + 25 - (int)summaryStart)), summaryCrc);

        // DataEnd closes the data section; its CRC covers every byte before it, magic included.
        int dataEnd = (int)summaryStart - 13;
        Assert.Equal((byte)McapOpcode.DataEnd, f[dataEnd]);
        Assert.Equal(McapCrc32.Compute(f.AsSpan(0, dataEnd)), BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(dataEnd + 9)));

        // Summary offsets: each points at a run of records of its group's opcode, and the groups tile the summary.
        var records = Records(f, summaryStart, summaryOffsetStart);
        var offsets = Records(f, summaryOffsetStart, footer).Select(r =>
            ((McapOpcode)f[r.Content], (long)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(r.Content + 1)), (long)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(r.Content + 9)))).ToList();
        Assert.Equal([McapOpcode.Schema, McapOpcode.Channel, McapOpcode.Statistics, McapOpcode.ChunkIndex, McapOpcode.MetadataIndex], offsets.Select(o => o.Item1));
        Assert.Equal(summaryStart, offsets[0].Item2);
        Assert.Equal(summaryOffsetStart, offsets[^1].Item2 + offsets[^1].Item3);
        foreach (var (op, start, length) in offsets)
            Assert.All(Records(f, start, start + length), r => Assert.Equal(op, r.Op));
        Assert.Equal(2, records.Count(r => r.Op == McapOpcode.Channel));

        // Statistics: 20 messages, counts per channel, time range.
        var stats = records.Single(r => r.Op == McapOpcode.Statistics).Content;
        Assert.Equal(20ul, BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(stats)));
        Assert.Equal(1000ul, BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(stats + 26)));
        Assert.Equal(1019ul, BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(stats + 34)));

        // Every chunk index points at a chunk whose CRC matches its records and whose message indexes point at messages.
        var chunkIndexes = records.Where(r => r.Op == McapOpcode.ChunkIndex).ToList();
        Assert.True(chunkIndexes.Count > 1, "the 200-byte chunk size must split 20 messages into several chunks");
        int messagesIndexed = 0;
        foreach (var ci in chunkIndexes)
        {
            int c = ci.Content;
            long chunkStart = (long)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(c + 16));
            long chunkLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(c + 24));
            Assert.Equal((byte)McapOpcode.Chunk, f[chunkStart]);
            Assert.Equal(chunkLength, McapFormat.RecordPrefixBytes + (long)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan((int)chunkStart + 1)));
            int k = (int)chunkStart + McapFormat.RecordPrefixBytes;
            ulong size = BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(k + 16));
            uint crc = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(k + 24));
            Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(k + 28))); // compression "" (none)
            Assert.Equal(size, BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(k + 32)));
            int chunkRecords = k + 40;
            Assert.Equal(crc, McapCrc32.Compute(f.AsSpan(chunkRecords, (int)size)));
            uint mapBytes = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(c + 32));
            for (int e = 0; e < mapBytes; e += 10)
            {
                ushort channel = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(c + 36 + e));
                int mi = (int)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(c + 38 + e));
                Assert.Equal((byte)McapOpcode.MessageIndex, f[mi]);
                Assert.Equal(channel, BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(mi + 9)));
                uint entries = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(mi + 11));
                ulong previous = 0;
                for (int x = 0; x < entries; x += 16)
                {
                    ulong time = BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(mi + 15 + x));
                    int at = chunkRecords + (int)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(mi + 23 + x));
                    Assert.True(time >= previous);
                    previous = time;
                    Assert.Equal((byte)McapOpcode.Message, f[at]);
                    Assert.Equal(channel, BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(at + 9)));
                    Assert.Equal(time, BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(at + 15)));
                    messagesIndexed++;
                }
            }
        }
        Assert.Equal(20, messagesIndexed);
    }

    [Fact]
    public void A_zstd_chunk_holds_the_compressed_records_and_the_crc_of_the_uncompressed_ones()
    {
        string path = Path.Combine(_dir, "zstd.mcap");
        using (var w = McapWriter.Create(path, "ros2", "test", compression: "zstd"))
        {
            ushort s = w.AddSchema("std_msgs/msg/String", "ros2msg", "string data\n"u8);
            var a = w.AddChannel(s, "/a", "cdr");
            for (uint i = 0; i < 1000; i++) w.WriteMessage(a, i, i, i, new byte[64]);
        }
        var f = File.ReadAllBytes(path);
        int k = 8 + McapFormat.RecordPrefixBytes + (int)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(9)); // after the header
        Assert.Equal((byte)McapOpcode.Chunk, f[k]);
        int c = k + McapFormat.RecordPrefixBytes;
        ulong size = BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(c + 16));
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(c + 24));
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32LittleEndian(f.AsSpan(c + 28)));
        Assert.Equal("zstd"u8.ToArray(), f[(c + 32)..(c + 36)]);
        int stored = (int)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(c + 36));
        Assert.True((ulong)stored < size / 4, $"{stored} bytes stored for {size} zero-filled bytes");
        var plain = new byte[size];
        using (var d = new ZstdSharp.Decompressor()) Assert.Equal((int)size, d.Unwrap(f.AsSpan(c + 44, stored), plain));
        Assert.Equal(crc, McapCrc32.Compute(plain));
        int messages = 0;
        McapReader.Read(f, path, (in McapMessage m) => messages++);
        Assert.Equal(1000, messages);
    }

    private static List<(McapOpcode Op, int Content)> Records(byte[] f, long from, long to)
    {
        var list = new List<(McapOpcode, int)>();
        for (long p = from; p < to;)
        {
            long len = (long)BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan((int)p + 1));
            list.Add(((McapOpcode)f[p], (int)p + McapFormat.RecordPrefixBytes));
            p += McapFormat.RecordPrefixBytes + len;
        }
        return list;
    }

    private static ChannelLayout Layout() => new(["l_hip_pitch", "l_knee", "l_ankle"], ["pelvis_imu"]);

    private static void Populate(TickState s, long tick)
    {
        s.Tick = tick;
        s.TimeNs = tick * 1_000_000;
        s.PeriodNs = 1_000_000;
        for (int j = 0; j < s.JointCount; j++)
        {
            s.Image.Inputs[j].Statusword = 0x1237;
            s.Position[j] = 0.001 * tick + j;
            s.Velocity[j] = -0.5 * j;
            s.Torque[j] = 1.25 * j;
            s.TargetPosition[j] = 0.001 * tick + j + 0.01;
            s.FeedforwardTorque[j] = 0.5;
        }
        s.Image.Imus[0].SpecificForceZ = 9.81f;
        s.Image.Imus[0].AngularRateX = 0.125f;
        s.Divergence.Valid = tick >= 10;
        for (int c = 0; c < s.Divergence.Innovation.Length; c++) s.Divergence.Innovation[c] = c * 1e-3;
        s.Divergence.ExternalTorque[1] = 2.5;
        s.SafetyState = tick < 100 ? SafetyState.Enabling : SafetyState.Operational;
    }

    private const string Urdf = "<robot name=\"biped_test\"><link name=\"pelvis\"/></robot>";

    /// <summary>A recording made through the recorder exactly as a session makes it: ring, writer thread, safety events.</summary>
    private (McapTickRecorder Recorder, int Ticks) Record(string path, int ticks)
    {
        var layout = Layout();
        var state = new TickState(3, 1, layout);
        var recorder = new McapTickRecorder(path, "biped_test", layout, 1_000_000, Urdf, capacity: 1 << 15);
        for (long t = 0; t < ticks; t++)
        {
            Populate(state, t);
            recorder.Enqueue(state);
            if (t == 100) recorder.AddSafetyEvent(new SafetyEvent(1, 100, 100_000_000, SafetyState.Enabling, SafetyState.Operational, FaultCode.None, -1, StopCategory.None, 0, 0));
        }
        recorder.Dispose();
        return (recorder, ticks);
    }

    [Fact]
    public void Recorder_round_trips_every_tick_through_mcap_into_the_calibration_reader()
    {
        string path = Path.Combine(_dir, "run.mcap");
        var (recorder, ticks) = Record(path, 5000);
        Assert.Equal(0, recorder.Dropped);
        Assert.Null(recorder.Error);
        Assert.Equal(ticks, recorder.Written);
        var rec = TickRecording.Open(path);
        Assert.Equal(ticks, rec.Count);
        Assert.Equal("biped_test", rec.Robot);
        Assert.Equal(1_000_000, rec.PeriodNs);
        Assert.Equal(["l_hip_pitch", "l_knee", "l_ankle"], rec.JointNames);
        Assert.Equal(["pelvis_imu"], rec.ImuNames);
        for (int t = 0; t < ticks; t += 499)
        {
            Assert.Equal(t, rec.Tick(t));
            Assert.Equal(0.001 * t + 2, rec.Get(t, rec.Layout.Joint(2, JointField.Position)));
            Assert.Equal(0.125, rec.Get(t, rec.Layout.Imu(0, ImuField.AngularRateX)));
        }
    }

    [Fact]
    public void A_cut_off_mcap_recording_is_refused_with_the_offset()
    {
        string path = Path.Combine(_dir, "cut.mcap");
        Record(path, 200);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<Rt.Core.Errors.InputError>(() => TickRecording.Open(path));
        Assert.Contains("MCAP magic", e.Message);
        Assert.Contains("offset", e.Message);
    }

    [Fact]
    public void Enqueue_allocates_nothing()
    {
        var layout = new ChannelLayout(Enumerable.Range(0, 12).Select(i => $"j{i}").ToArray(), ["a", "b", "c"]);
        var state = new TickState(12, 3, layout);
        using var recorder = new McapTickRecorder(Path.Combine(_dir, "alloc.mcap"), "biped12", layout, 1_000_000, null, capacity: 64);
        for (int i = 0; i < 1000; i++) recorder.Enqueue(state);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            state.Tick = i;
            recorder.Enqueue(state);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        recorder.Dispose();
        Assert.Equal(101_000, recorder.Written + recorder.Dropped);
    }

    /// <summary>Node and the npm readers (tools/setup.sh installs them into tools/node), or null.</summary>
    internal static string? NodeTools()
    {
        string dir = RepoPaths.Combine("tools", "node");
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "@mcap", "core"))) return null;
        foreach (var p in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (p.Length > 0 && File.Exists(Path.Combine(p, "node"))) return dir;
        return null;
    }

    internal static JsonElement RunNode(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("node") { WorkingDirectory = RepoPaths.Combine("tools", "node"), RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"node {script} exited {p.ExitCode}: {stderr}");
        return JsonDocument.Parse(stdout.Result).RootElement;
    }

    [SkippableFact]
    public void Independent_readers_decode_every_message_with_monotonic_time_stamps()
    {
        Skip.If(NodeTools() == null, "node or tools/node/node_modules missing (tools/setup.sh installs them)");
        string path = Path.Combine(_dir, "node.mcap");
        var (_, ticks) = Record(path, 3000);
        var r = RunNode("check-mcap.mjs", path);
        Assert.Equal(0, r.GetProperty("errors").GetArrayLength());
        Assert.Equal("ros2", r.GetProperty("profile").GetString());
        Assert.Equal(["zstd"], r.GetProperty("compression").EnumerateArray().Select(c => c.GetString())); // the recorder compresses
        var topics = r.GetProperty("topics");
        foreach (var t in topics.EnumerateObject())
        {
            Assert.True(t.Value.GetProperty("count").GetInt32() > 0, $"{t.Name}: no messages");
            Assert.Equal(t.Value.GetProperty("count").GetInt32(), t.Value.GetProperty("decoded").GetInt32());
            Assert.True(t.Value.GetProperty("monotonic").GetBoolean(), $"{t.Name}: log times go back");
            Assert.True(t.Value.GetProperty("stampsMonotonic").GetBoolean(), $"{t.Name}: header stamps go back or differ from log time");
            Assert.True(t.Value.GetProperty("sequential").GetBoolean(), $"{t.Name}: sequence numbers skip");
        }
        // Every tick on the per-tick channels; the twin's prediction only once it is valid (tick 10 on).
        foreach (var topic in new[] { "/joint_states", "/rt/joint_commands", "/imu/pelvis_imu", "/rt/twin/divergence", "/rt/tick" })
            Assert.Equal(ticks, topics.GetProperty(topic).GetProperty("count").GetInt32());
        Assert.Equal(ticks - 10, topics.GetProperty("/rt/twin/prediction").GetProperty("count").GetInt32());
        Assert.Equal(2, topics.GetProperty("/rt/safety/state").GetProperty("count").GetInt32()); // Enabling, then Operational
        Assert.Equal(1, topics.GetProperty("/rt/safety/events").GetProperty("count").GetInt32());
        Assert.Equal(1, topics.GetProperty("/robot_description").GetProperty("count").GetInt32());
        long total = topics.EnumerateObject().Sum(t => t.Value.GetProperty("count").GetInt64());
        Assert.Equal(total, r.GetProperty("messages").GetInt64());
        Assert.Equal(total.ToString(System.Globalization.CultureInfo.InvariantCulture), r.GetProperty("statistics").GetProperty("messageCount").GetString());
        Assert.Equal(r.GetProperty("dataSectionCrc").GetUInt32(), r.GetProperty("dataSectionCrcRecomputed").GetUInt32());

        var js = topics.GetProperty("/joint_states");
        Assert.Equal("sensor_msgs/msg/JointState", js.GetProperty("schema").GetString());
        var last = js.GetProperty("last").GetProperty("message");
        Assert.Equal(["l_hip_pitch", "l_knee", "l_ankle"], last.GetProperty("name").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0.001 * (ticks - 1) + 2, last.GetProperty("position")[2].GetDouble());
        Assert.Equal(-1.0, last.GetProperty("velocity")[2].GetDouble());
        Assert.Equal(2.5, last.GetProperty("effort")[2].GetDouble());
        Assert.Equal((ticks - 1) * 1_000_000L, long.Parse(js.GetProperty("last").GetProperty("logTime").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        var imu = topics.GetProperty("/imu/pelvis_imu").GetProperty("last").GetProperty("message");
        Assert.Equal(0.125, imu.GetProperty("angular_velocity").GetProperty("x").GetDouble());
        Assert.Equal(9.81f, (float)imu.GetProperty("linear_acceleration").GetProperty("z").GetDouble());
        Assert.Equal(-1.0, imu.GetProperty("orientation_covariance")[0].GetDouble());
        var cmd = topics.GetProperty("/rt/joint_commands").GetProperty("last").GetProperty("message");
        Assert.Equal(0.5, cmd.GetProperty("effort")[0].GetDouble());
        var prediction = topics.GetProperty("/rt/twin/prediction").GetProperty("last").GetProperty("message");
        Assert.Equal(0.001 * (ticks - 1) + 1 - 4e-3, prediction.GetProperty("position")[1].GetDouble(), 12); // channel 4: l_knee.position
        var ev = topics.GetProperty("/rt/safety/events").GetProperty("first").GetProperty("message");
        Assert.Equal("Operational", ev.GetProperty("to_state").GetString());
        Assert.Equal(Urdf, topics.GetProperty("/robot_description").GetProperty("first").GetProperty("message").GetProperty("data").GetString());
        Assert.Equal("biped_test", r.GetProperty("metadata").GetProperty("rt.recording").GetProperty("robot").GetString());
    }
}
