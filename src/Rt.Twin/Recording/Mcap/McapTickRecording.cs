using System.Buffers.Binary;
using System.Globalization;
using Rt.Core.Divergence;
using Rt.Core.Errors;

namespace Rt.Twin.Recording.Mcap;

/// <summary>
/// Reads the lossless tick records (/rt/tick, <c>rt_msgs/msg/TickRecord</c>) and their layout (the "rt.recording"
/// metadata) back from an MCAP recording into a <see cref="TickRecording"/>, so <c>rt calibrate</c> and
/// <c>rt validate</c> take MCAP as they take the tick log. Not real-time safe.
/// </summary>
public static class McapTickRecording
{
    public static TickRecording Parse(ReadOnlySpan<byte> bytes, string source)
    {
        var ticks = new List<long>();
        var values = new List<double>();
        int width = -1;
        string? bad = null;
        ulong lastTime = 0;
        var reader = McapReader.Read(bytes, source, (in McapMessage m) =>
        {
            if (bad != null || m.Channel.Topic != McapTickWriter.TickTopic) return;
            var d = m.Data;
            // CDR: 4-byte header | int64 tick @4 | u32 count @12 | pad to 8 | float64[count] @20
            if (d.Length < 16 || d[0] != 0 || d[1] != 1) { bad = $"/rt/tick message {ticks.Count} is not little-endian CDR"; return; }
            uint count = BinaryPrimitives.ReadUInt32LittleEndian(d[12..]);
            if (width < 0) width = (int)Math.Min(count, int.MaxValue);
            if (count != width || d.Length < 20 + 8 * (long)count) { bad = $"/rt/tick message {ticks.Count} has {count} values in {d.Length} bytes; the first had {width}"; return; }
            if (m.LogTime < lastTime) { bad = $"/rt/tick message {ticks.Count} goes back in time ({m.LogTime} ns after {lastTime} ns)"; return; }
            lastTime = m.LogTime;
            ticks.Add(BinaryPrimitives.ReadInt64LittleEndian(d[4..]));
            for (int k = 0; k < count; k++) values.Add(BinaryPrimitives.ReadDoubleLittleEndian(d[(20 + 8 * k)..]));
        });
        if (bad != null) throw new InputError(source, McapTickWriter.TickTopic, bad);
        var meta = reader.Metadata.FirstOrDefault(m => m.Name == McapTickWriter.LayoutMetadataName).Values
            ?? throw new InputError(source, $"metadata '{McapTickWriter.LayoutMetadataName}'", "this MCAP file has no rt recording layout: it was not written by `rt run --record` (the lossless /rt/tick channel and its metadata are needed)");
        string Get(string key) => meta.FirstOrDefault(kv => kv.Key == key).Value
            ?? throw new InputError(source, $"metadata '{McapTickWriter.LayoutMetadataName}'.{key}", "missing");
        long Long(string key) => long.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v
            : throw new InputError(source, $"metadata '{McapTickWriter.LayoutMetadataName}'.{key}", $"'{Get(key)}' is not an integer");
        static string[] Names(string s) => s.Length == 0 ? [] : s.Split('\n');

        if (Long("version") != TickRecordingFormat.Version)
            throw new InputError(source, $"metadata '{McapTickWriter.LayoutMetadataName}'.version", $"record version {Get("version")} is not supported; this build reads version {TickRecordingFormat.Version}");
        long period = Long("period_ns");
        if (period <= 0) throw new InputError(source, $"metadata '{McapTickWriter.LayoutMetadataName}'.period_ns", $"tick period {period} ns must be > 0");
        var layout = new RecordLayout(new ChannelLayout(Names(Get("joint_names")), Names(Get("imu_names"))));
        if (Long("width") != layout.Width)
            throw new InputError(source, $"metadata '{McapTickWriter.LayoutMetadataName}'.width", $"record width {Get("width")}; this build's layout for {layout.JointCount} joints and {layout.ImuCount} IMUs is {layout.Width}");
        if (width >= 0 && width != layout.Width)
            throw new InputError(source, McapTickWriter.TickTopic, $"records have {width} values; the layout has {layout.Width}");
        return TickRecording.FromRows(source, Get("robot"), period, layout, [.. ticks], [.. values]);
    }
}
