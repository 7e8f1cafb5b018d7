using Rt.Core.Concurrency;
using Rt.Core.Divergence;
using Rt.Core.Tick;

namespace Rt.Twin.Recording.Mcap;

/// <summary>
/// Records every tick to an MCAP file (<see cref="McapTickWriter"/>) without touching the disk, the serialiser or
/// the allocator on the real-time thread: <see cref="Enqueue"/> copies the tick into a preallocated
/// <see cref="SpscSlotRing"/> slot (<see cref="RingTickRecorder"/>); the writer thread drains the ring and serialises.
/// Supervisor events arrive from the safety log's thread through <see cref="AddSafetyEvent"/> (their own SPSC ring). A full ring drops and counts (<see cref="Dropped"/>), never waits. Construction and Dispose are not
/// real-time safe; <see cref="RingTickRecorder.Enqueue"/> is.
/// </summary>
public sealed class McapTickRecorder : RingTickRecorder
{
    private readonly SpscRing<SafetyEvent> _events = new(1024);
    private readonly McapTickWriter _writer;

    /// <summary>Not real-time safe: creates the file, writes the schemas and channels, starts the writer thread.</summary>
    /// <param name="robotDescription">The URDF text for /robot_description, or null.</param>
    /// <param name="capacity">Ring slots (ticks of slack for the writer), rounded up to a power of two.</param>
    public McapTickRecorder(string path, string robot, ChannelLayout channels, long periodNs, string? robotDescription, int capacity = 8192)
        : base(channels, capacity)
    {
        _writer = new McapTickWriter(path, robot, Layout, periodNs, robotDescription);
        Start();
    }

    public override string Path => _writer.Path;

    /// <summary>Ticks and safety events refused because a ring was full.</summary>
    public override long Dropped => base.Dropped + _events.Dropped;

    /// <summary>Bytes in the file so far (writer side; final after Dispose).</summary>
    public long Bytes => _writer.Bytes;

    /// <summary>Real-time safe (one ring push); call from a single thread (the safety log's forwarder).</summary>
    public void AddSafetyEvent(SafetyEvent e) => _events.TryPush(e);

    protected override void WriteTick(long tick, double[] record) => _writer.Append(tick, record);

    protected override int DrainOther()
    {
        int n = 0;
        while (_events.TryPop(out var e))
        {
            _writer.WriteSafetyEvent(e);
            n++;
        }
        return n;
    }

    /// <summary>Writes the summary and footer and closes the file.</summary>
    protected override void CloseWriter() => _writer.Dispose();
}
