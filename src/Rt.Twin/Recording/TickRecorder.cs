using Rt.Core.Divergence;

namespace Rt.Twin.Recording;

/// <summary>
/// Records every tick to the tick log (<see cref="TickRecordingWriter"/>) without touching the disk on the real-time
/// thread (<see cref="RingTickRecorder"/>). Dispose drains what is queued, flushes and closes.
/// Construction and Dispose are not real-time safe; <see cref="RingTickRecorder.Enqueue"/> is.
/// </summary>
public sealed class TickRecorder : RingTickRecorder
{
    private readonly TickRecordingWriter _writer;

    /// <summary>Not real-time safe: creates the file, writes the header and starts the writer thread.</summary>
    /// <param name="capacity">Ring slots (ticks of slack for the disk), rounded up to a power of two.</param>
    public TickRecorder(string path, string robot, ChannelLayout channels, long periodNs, int capacity = 8192)
        : base(channels, capacity)
    {
        _writer = new TickRecordingWriter(path, robot, Layout, periodNs);
        Start();
    }

    public override string Path => _writer.Path;

    protected override void WriteTick(long tick, double[] record) => _writer.Append(tick, record);

    protected override void Finish() => _writer.Flush();

    protected override void CloseWriter() => _writer.Dispose();
}
