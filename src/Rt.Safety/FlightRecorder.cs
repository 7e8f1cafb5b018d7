using System.Globalization;
using System.Text;
using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// Keeps the last N seconds of compact tick snapshots in a preallocated ring for post-mortem: positions, velocities,
/// torques, targets, the three channels with the largest detector/threshold ratio, and the safety state.
/// The tick calls <see cref="Record"/> (a copy into the ring) and <see cref="RequestDump"/> (bumps a counter) —
/// both real-time safe. A non-real-time thread calls <see cref="TryDump"/> to write the ring to a CSV file.
/// Each slot carries a sequence stamp (seqlock), so a slot the tick overwrites while it is being copied is skipped,
/// not written torn; the ring holds one extra second beyond N so the dumper has time to copy the oldest ticks.
/// </summary>
public sealed class FlightRecorder
{
    private const int Header = 6; // tick, time, state, power, overridden, worst ratio
    private const int Top = 3;
    private readonly double[] _data;
    private readonly long[] _stamp;
    private readonly int _width, _joints, _keepTicks;
    private readonly ChannelLayout _layout;
    private long _head;
    private long _dumpRequests;
    private long _dumpTripTick;
    private long _dumpsDone;

    /// <summary>Not real-time safe: allocates the ring.</summary>
    public FlightRecorder(ChannelLayout layout, long periodNs, double seconds)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(periodNs, 0);
        _layout = layout;
        _joints = layout.JointCount;
        double rate = 1e9 / periodNs;
        _keepTicks = Math.Max(2, (int)Math.Ceiling(seconds * rate));
        int capacity = _keepTicks + Math.Max(2, (int)Math.Ceiling(rate)); // + 1 s for the dumper to copy in
        _width = Header + 5 * _joints + 2 * Top;
        _data = GC.AllocateArray<double>(capacity * _width, pinned: true);
        _stamp = GC.AllocateArray<long>(capacity, pinned: true);
        Array.Fill(_stamp, -1L);
    }

    /// <summary>How many ticks a dump holds (the configured seconds).</summary>
    public int KeepTicks => _keepTicks;

    public int Capacity => _stamp.Length;

    /// <summary>Ticks recorded so far.</summary>
    public long Recorded => Volatile.Read(ref _head);

    /// <summary>Dump requests so far (one per trip).</summary>
    public long DumpRequests => Volatile.Read(ref _dumpRequests);

    /// <summary>Real-time safe. Copies the tick's snapshot into the ring.</summary>
    public void Record(TickState s)
    {
        long head = _head;
        int slot = (int)(head % _stamp.Length);
        Volatile.Write(ref _stamp[slot], -1); // writing: readers skip the slot
        var row = _data.AsSpan(slot * _width, _width);
        var d = s.Divergence;
        row[0] = s.Tick;
        row[1] = s.TimeNs;
        row[2] = (double)s.SafetyState;
        row[3] = (double)s.PowerRequest;
        row[4] = s.TargetsOverridden ? 1 : 0;
        row[5] = d.WorstRatio;
        int o = Header;
        int n = Math.Min(_joints, s.JointCount);
        for (int j = 0; j < n; j++)
        {
            row[o + j] = s.Position[j];
            row[o + _joints + j] = s.Velocity[j];
            row[o + 2 * _joints + j] = s.Torque[j];
            row[o + 3 * _joints + j] = s.TargetPosition[j];
            row[o + 4 * _joints + j] = s.TargetVelocity[j];
        }
        o += 5 * _joints;
        // Top three channels by detector/threshold ratio (insertion into a 3-slot list).
        int c0 = -1, c1 = -1, c2 = -1;
        double r0 = double.NegativeInfinity, r1 = r0, r2 = r0;
        int channels = d.Detector.Length;
        for (int c = 0; c < channels; c++)
        {
            double thr = d.Threshold[c];
            double r = thr > 0 ? d.Detector[c] / thr : 0;
            if (r > r0) { c2 = c1; r2 = r1; c1 = c0; r1 = r0; c0 = c; r0 = r; }
            else if (r > r1) { c2 = c1; r2 = r1; c1 = c; r1 = r; }
            else if (r > r2) { c2 = c; r2 = r; }
        }
        row[o] = c0; row[o + 1] = c0 >= 0 ? r0 : 0;
        row[o + 2] = c1; row[o + 3] = c1 >= 0 ? r1 : 0;
        row[o + 4] = c2; row[o + 5] = c2 >= 0 ? r2 : 0;
        Volatile.Write(ref _stamp[slot], head);
        Volatile.Write(ref _head, head + 1);
    }

    /// <summary>Real-time safe. Asks the dumper thread to write the ring (called by the supervisor on every trip).</summary>
    public void RequestDump(long tripTick)
    {
        Volatile.Write(ref _dumpTripTick, tripTick);
        Volatile.Write(ref _dumpRequests, _dumpRequests + 1);
    }

    /// <summary>
    /// Not real-time safe. If a dump was requested since the last call, writes the last <see cref="KeepTicks"/> ticks
    /// to <c>flight-&lt;trip tick&gt;.csv</c> in <paramref name="directory"/> (fsynced) and returns its path; else null.
    /// </summary>
    public string? TryDump(string directory)
    {
        long requests = Volatile.Read(ref _dumpRequests);
        if (requests == _dumpsDone) return null;
        _dumpsDone = requests;
        long trip = Volatile.Read(ref _dumpTripTick);
        SafetyFiles.CreateDirectory(directory);
        string path = Path.Combine(directory, $"flight-{trip.ToString(CultureInfo.InvariantCulture)}-{requests.ToString(CultureInfo.InvariantCulture)}.csv");
        WriteCsv(path);
        return path;
    }

    /// <summary>Not real-time safe. Writes the ring's last <see cref="KeepTicks"/> ticks as CSV, oldest first; returns rows written.</summary>
    public int WriteCsv(string path)
    {
        var sb = new StringBuilder();
        sb.Append("tick,time_ns,safety_state,power_request,targets_overridden,worst_ratio");
        string[] groups = ["position", "velocity", "torque", "target_position", "target_velocity"];
        foreach (var g in groups)
            for (int j = 0; j < _joints; j++) sb.Append(',').Append(_layout.JointNames[j]).Append('.').Append(g);
        for (int k = 0; k < Top; k++) sb.Append(",top").Append(k + 1).Append("_channel,top").Append(k + 1).Append("_ratio");
        sb.Append('\n');

        var copy = new double[_width];
        long head = Volatile.Read(ref _head);
        long from = Math.Max(0, head - _keepTicks);
        int rows = 0;
        var inv = CultureInfo.InvariantCulture;
        for (long i = from; i < head; i++)
        {
            int slot = (int)(i % _stamp.Length);
            if (Volatile.Read(ref _stamp[slot]) != i) continue;
            _data.AsSpan(slot * _width, _width).CopyTo(copy);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _stamp[slot]) != i) continue; // overwritten while copying: skip, never write torn
            for (int c = 0; c < _width; c++)
            {
                if (c > 0) sb.Append(',');
                int topIndex = c - (Header + 5 * _joints);
                if (c == 2) sb.Append(((SafetyState)(int)copy[c]).ToString());
                else if (c == 3) sb.Append(((DrivePowerRequest)(int)copy[c]).ToString());
                else if (topIndex >= 0 && topIndex % 2 == 0)
                {
                    int ch = (int)copy[c];
                    sb.Append(ch >= 0 && ch < _layout.Count ? _layout.Channels[ch].Name : "");
                }
                else sb.Append(inv, $"{copy[c]:R}"); // formatted into the builder: no string per value
            }
            sb.Append('\n');
            rows++;
        }
        using (var fs = SafetyFiles.Open(path, FileMode.Create)) // 0640: never world-readable
        {
            // Chunk by chunk through small buffers: the dump as one string and one byte array (MBs each) landed on the
            // large-object heap, and a dozen trips used up the no-GC region's large-object budget (a GC on the tick).
            using (var writer = new StreamWriter(fs, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 16 * 1024, leaveOpen: true))
            {
                foreach (var chunk in sb.GetChunks()) writer.Write(chunk.Span);
            }
            fs.Flush(flushToDisk: true);
        }
        return rows;
    }
}
