using Rt.Core.Divergence;
using Rt.Core.Errors;
using Rt.Twin.Recording;

namespace Rt.Fuzz.Targets;

/// <summary>
/// The tick-recording reader (src/Rt.Twin/Recording/TickRecording.cs: header, names, layout, records). Input: a
/// recording file. Documented outcome for a bad file: <see cref="InputError"/> naming the byte offset.
/// Oracle: every record the reader reports can be read back whole.
/// </summary>
internal static class TickRecordingTarget
{
    public static FuzzTarget Create() => new("recording", "tick recordings (TickRecording.Parse)", Run, [typeof(InputError)], Seeds);

    private static void Run(ReadOnlySpan<byte> input)
    {
        var rec = TickRecording.Parse(input, "/fuzz/run.rtticks");
        for (int r = 0; r < rec.Count; r++)
        {
            _ = rec.Tick(r);
            if (rec.Record(r).Length != rec.Layout.Width) throw new FuzzInvariantException($"record {r} is not {rec.Layout.Width} values wide");
        }
        if (rec.Layout.Width > 0) _ = rec.Series(rec.Layout.Width - 1);
    }

    /// <summary>Recordings written by the product's own writer, as the host and the tests make them.</summary>
    private static IEnumerable<(string, byte[])> Seeds()
    {
        yield return ("two-joints-one-imu", Write(["left_knee", "right_knee"], ["pelvis"], 3));
        yield return ("one-joint-empty", Write(["hip"], [], 0));
        yield return ("no-imu-five-ticks", Write(["a", "b", "c"], [], 5));
    }

    private static byte[] Write(string[] joints, string[] imus, int records)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rt-fuzz-seed-{Environment.ProcessId}-{Guid.NewGuid():N}.rtticks");
        try
        {
            var layout = new RecordLayout(new ChannelLayout(joints, imus));
            using (var w = new TickRecordingWriter(path, "biped12", layout, 1_000_000))
            {
                var row = new double[layout.Width];
                for (int t = 0; t < records; t++)
                {
                    for (int k = 0; k < row.Length; k++) row[k] = t * 0.5 + k;
                    w.Append(t, row);
                }
            }
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
