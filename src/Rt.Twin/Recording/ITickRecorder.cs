using Rt.Core.Tick;

namespace Rt.Twin.Recording;

/// <summary>
/// A recorder the session feeds every tick (<see cref="ITickSink.Enqueue"/>, real-time safe) and that writes off the
/// tick on its own thread: the tick log (<see cref="TickRecorder"/>) or MCAP (<see cref="Mcap.McapTickRecorder"/>).
/// </summary>
public interface ITickRecorder : ITickSink, IDisposable
{
    string Path { get; }

    RecordLayout Layout { get; }

    /// <summary>Ticks refused because the ring was full (each one a lost record, reported at the end of the run).</summary>
    long Dropped { get; }

    /// <summary>Records written so far (writer side).</summary>
    long Written { get; }

    /// <summary>The I/O error that stopped the writer thread, if any.</summary>
    Exception? Error { get; }
}

/// <summary>Not real-time safe. Picks the recorder by the file's extension: ".mcap" writes MCAP, anything else the tick log.</summary>
public static class TickRecorders
{
    public static bool IsMcapPath(string path) => path.EndsWith(".mcap", StringComparison.OrdinalIgnoreCase);

    public static ITickRecorder Create(string path, string robot, Rt.Core.Divergence.ChannelLayout channels, long periodNs, string? robotDescription) =>
        IsMcapPath(path)
            ? new Mcap.McapTickRecorder(path, robot, channels, periodNs, robotDescription)
            : new TickRecorder(path, robot, channels, periodNs);
}
