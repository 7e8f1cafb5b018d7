using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Rt.Twin.Recording;

/// <summary>
/// Writes a tick log (<see cref="TickRecordingFormat"/>) record by record through a buffered file stream.
/// Not real-time safe (file I/O): used by <see cref="TickRecorder"/>'s background thread and by tools and tests
/// that produce recordings offline.
/// </summary>
public sealed class TickRecordingWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly byte[] _tickBytes = new byte[8];

    public TickRecordingWriter(string path, string robot, RecordLayout layout, long periodNs)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
        Path = System.IO.Path.GetFullPath(path);
        _stream = new FileStream(Path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1 << 20);
        _stream.Write(TickRecordingFormat.BuildHeader(robot, layout, periodNs));
    }

    public string Path { get; }
    public RecordLayout Layout { get; }
    public long Records { get; private set; }

    /// <summary>Appends one record of <see cref="RecordLayout.Width"/> doubles.</summary>
    public void Append(long tick, ReadOnlySpan<double> record)
    {
        if (record.Length != Layout.Width) throw new ArgumentException($"record has {record.Length} values, layout has {Layout.Width}", nameof(record));
        BinaryPrimitives.WriteInt64LittleEndian(_tickBytes, tick);
        _stream.Write(_tickBytes);
        if (BitConverter.IsLittleEndian) _stream.Write(MemoryMarshal.AsBytes(record));
        else
        {
            Span<byte> b = stackalloc byte[8];
            foreach (double v in record)
            {
                BinaryPrimitives.WriteDoubleLittleEndian(b, v);
                _stream.Write(b);
            }
        }
        Records++;
    }

    public void Flush() => _stream.Flush();

    public void Dispose() => _stream.Dispose();
}
