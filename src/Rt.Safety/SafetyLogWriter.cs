using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// Appends records to the durable safety log and fsyncs them. Opens the file in append mode and never seeks,
/// truncates or rewrites. Not real-time safe (file I/O): used by the <see cref="SafetyLog"/> thread, never by the tick.
/// </summary>
public sealed class SafetyLogWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly byte[] _buffer;
    private readonly bool _splitWrites;
    private int _used;

    /// <param name="path">Log file; created (mode 0640, folder 0750) if missing, appended to if present.</param>
    /// <param name="batchCapacity">Records buffered between <see cref="Flush"/> calls.</param>
    /// <param name="splitWritesForCrashTests">Test hook: write each (event) record in two system calls so a kill -9 can tear one.</param>
    public SafetyLogWriter(string path, int batchCapacity = 256, bool splitWritesForCrashTests = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _file = SafetyFiles.Open(path, FileMode.Append, bufferSize: 0); // 0640: never world-readable
        _buffer = new byte[Math.Max(1, batchCapacity) * SafetyLogFormat.RecordLength];
        _splitWrites = splitWritesForCrashTests;
        FilePath = path;
    }

    public string FilePath { get; }

    /// <summary>Records appended (since this writer was opened).</summary>
    public long Appended { get; private set; }

    /// <summary>Buffers one record; flushes first if the batch is full.</summary>
    public void Append(in SafetyEvent e, long wallUnixNs)
    {
        if (_used + SafetyLogFormat.RecordLength > _buffer.Length) Flush();
        _used += SafetyLogFormat.Encode(e, wallUnixNs, _buffer.AsSpan(_used));
        Appended++;
    }

    /// <summary>Buffers a session record (the policy digest); the first thing a session writes.</summary>
    public void AppendSession(string policyDigest, long wallUnixNs)
    {
        if (_used + SafetyLogFormat.SessionRecordLength > _buffer.Length) Flush();
        _used += SafetyLogFormat.EncodeSession(policyDigest, wallUnixNs, _buffer.AsSpan(_used));
    }

    /// <summary>Writes the buffered records and fsyncs the file, so they survive a crash or power loss.</summary>
    public void Flush()
    {
        if (_used == 0) return;
        if (_splitWrites)
        {
            for (int off = 0; off < _used; off += SafetyLogFormat.RecordLength)
            {
                int half = SafetyLogFormat.RecordLength / 2;
                _file.Write(_buffer, off, half);
                Thread.Sleep(1); // a wide window for the kill
                _file.Write(_buffer, off + half, SafetyLogFormat.RecordLength - half);
            }
        }
        else
        {
            _file.Write(_buffer, 0, _used);
        }
        _used = 0;
        _file.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
        Flush();
        _file.Dispose();
    }
}
