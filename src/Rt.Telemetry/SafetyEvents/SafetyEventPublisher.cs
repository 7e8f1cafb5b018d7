using System.Buffers;
using System.Text.Json;
using Rt.Core.Divergence;
using Rt.Core.Tick;
using Rt.Telemetry.Link;

namespace Rt.Telemetry.SafetyEvents;

/// <summary>
/// The safety-event job of telemetry. The fsynced safety log (<see cref="ISafetyJournal"/>) is the only durable copy of
/// every event; this keeps just a durable cursor (<see cref="SafetyCursor"/>: everything before it was acknowledged
/// by the broker) and, while connected, reads the journal after the cursor and publishes each event at QoS 1. On
/// every connect it starts again from the cursor, so an event fsynced in the log but never published (a kill between
/// the two, an outage, a refused publish) goes out after the restart or reconnect: at least once, never lost.
/// Receivers de-duplicate by (run, id); run is the wall time (ns) of the first journal record of the host run
/// (a host run starts where the supervisor's ids start again). Owned by the publisher thread, except
/// <see cref="Nudge"/> and <see cref="Pending"/>. Not real-time safe.
/// </summary>
internal sealed class SafetyEventPublisher
{
    private readonly ISafetyJournal? _journal;
    private readonly SafetyCursor _cursorFile;
    private readonly TelemetryLink _link;
    private readonly MqttTopic _topic;
    private readonly ChannelLayout _layout;
    private readonly int _window;
    private readonly Action<string> _log;
    private readonly List<Item> _unacked = new();        // read from the journal, not yet acknowledged, in log order
    private readonly Dictionary<int, Item> _inflight = new();
    private readonly List<SafetyJournalEntry> _read = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;
    private SafetyCursorState _cursor = SafetyCursorState.Start;
    private SafetyCursorState _next = SafetyCursorState.Start; // where reading goes on
    private readonly CursorWriter _cursorWriter;               // stores _cursor off this thread, rate-limited
    private int _more;                                          // 1: the journal may hold events not read yet
    private bool _cursorDirty;

    private readonly MqttTopic? _lastTrip;
    private readonly long _session;

    public SafetyEventPublisher(ISafetyJournal? journal, string cursorDirectory, TelemetryLink link, MqttTopic topic,
        MqttTopic? lastTrip, ChannelLayout layout, TelemetryOptions options, Action<string> log, long session = 0)
    {
        _lastTrip = lastTrip;
        _session = session;
        _journal = journal;
        _cursorFile = new SafetyCursor(cursorDirectory);
        _link = link;
        _topic = topic;
        _layout = layout;
        _window = Math.Max(1, options.MaxInflightSafety);
        _log = log;
        _writer = new Utf8JsonWriter(_buffer);
        _cursorWriter = new CursorWriter(_cursorFile, TimeSpan.FromSeconds(Math.Max(0, options.CursorSaveIntervalS)), log, 0);
    }

    public bool HasJournal => _journal is not null;

    /// <summary>
    /// Held by whoever runs this publisher and its link: the safety thread (polls, acks, watchdog) and the safety
    /// log's thread when it publishes an event it has just made durable (<see cref="SafetyChannel.Nudge"/>).
    /// </summary>
    public Lock Gate { get; } = new();

    /// <summary>A safety event that stopped motion (any stop category): it becomes the retained last trip.</summary>
    public static bool IsTrip(in SafetyEvent e) => e.Reaction is StopCategory.Cat0 or StopCategory.Cat1 or StopCategory.Cat2;

    public string CursorPath => _cursorFile.FilePath;

    /// <summary>Not real-time safe. Loads the cursor and checks it still fits the journal (else starts the journal over).</summary>
    public void Load()
    {
        if (_journal is null) return;
        _cursor = _cursorFile.Load(out string? problem);
        if (problem is not null) _log($"MQTT: safety cursor unreadable ({problem}); publishing the whole safety log again (receivers de-duplicate)");
        else if (_cursor.Position > 0 && !Fits(_cursor))
        {
            _log($"MQTT: safety cursor {_cursorFile.FilePath} does not fit the safety log {_journal.Name} (replaced?); publishing it from the start");
            _cursor = SafetyCursorState.Start;
        }
        int legacy = Directory.EnumerateFiles(Path.GetDirectoryName(_cursorFile.FilePath)!, "*.json").Count();
        if (legacy > 0)
            _log($"MQTT: {legacy} event file(s) of the earlier outbox format in {Path.GetDirectoryName(_cursorFile.FilePath)} are not read any more; " +
                 "the safety log holds the same events and they are published from there");
        _next = _cursor;
        _cursorWriter.Loaded(_cursor.Position);
        int pending = Pending;
        if (pending > 0) _log($"MQTT: {pending} safety event(s) from an earlier run wait in the safety log {_journal.Name} (not yet acknowledged by the broker)");
        _more = 1;
    }

    /// <summary>Any thread: the journal has new events (called after the safety log's fsync).</summary>
    public void Nudge() => Volatile.Write(ref _more, 1);

    /// <summary>
    /// Any thread, reads the journal: events after the stored cursor, i.e. not yet acknowledged by the broker, or
    /// acknowledged less than <see cref="TelemetryOptions.CursorSaveIntervalS"/> ago (they would go again after a crash).
    /// </summary>
    public int Pending
    {
        get
        {
            if (_journal is null) return 0;
            var list = new List<SafetyJournalEntry>();
            return _journal.ReadFrom(_cursorWriter.SavedPosition, int.MaxValue, list);
        }
    }

    /// <summary>Safety events published and not yet acknowledged (under <see cref="Gate"/>).</summary>
    public int InFlight => _inflight.Count;

    /// <summary>Connected (again): re-read everything after the cursor; what was in flight goes again.</summary>
    public void OnConnected()
    {
        _unacked.Clear();
        _inflight.Clear();
        _next = _cursor;
        _more = 1;
    }

    /// <summary>True if <paramref name="messageId"/> was a safety event; the cursor moves over the acknowledged prefix.</summary>
    public bool OnAcked(int messageId)
    {
        if (!_inflight.Remove(messageId, out Item? item)) return false;
        item.Acked = true;
        int n = 0;
        while (n < _unacked.Count && _unacked[n].Acked)
        {
            Item a = _unacked[n++];
            _cursor = new SafetyCursorState(a.Entry.Next, a.Entry.Position, a.Entry.Event.Id, a.Run);
        }
        if (n > 0)
        {
            _unacked.RemoveRange(0, n);
            _cursorDirty = true;
            Volatile.Write(ref _more, 1); // room in the window
        }
        return true;
    }

    /// <summary>Reads what is new, publishes it, and stores the cursor if it moved.</summary>
    public void Pump()
    {
        if (_journal is null) return;
        if (_link.Connected && _unacked.Count < _window && Interlocked.Exchange(ref _more, 0) == 1) ReadMore();
        for (int i = 0; i < _unacked.Count && _link.Connected; i++)
        {
            Item item = _unacked[i];
            if (item.Sent) continue;
            if (!_link.TryPublish(_topic, item.Payload, qos: 1, retain: false, out int mid)) break; // again on the next pump or connect
            item.Sent = true;
            // Retained, so a subscriber that starts later (rt monitor, a dashboard) sees the last trip at once.
            if (_lastTrip is not null && IsTrip(item.Entry.Event)) _link.TryPublish(_lastTrip, item.Payload, qos: 1, retain: true, out _);
            _inflight[mid] = item;
        }
        SaveCursor();
    }

    /// <summary>Hands the cursor to the cursor writer if it moved (publisher thread; never waits on the disk).</summary>
    public void SaveCursor()
    {
        if (!_cursorDirty) return;
        _cursorWriter.Offer(_cursor);
        _cursorDirty = false;
    }

    /// <summary>Shutdown: stores the last cursor now (on the calling thread) and stops the cursor writer.</summary>
    public void CloseCursor()
    {
        SaveCursor();
        _cursorWriter.Close();
    }

    /// <summary>CPU time of the cursor writer's thread so far, ns (part of the publisher's CPU).</summary>
    public long CursorCpuNs => _cursorWriter.CpuNs;

    /// <summary>Cursor files written so far.</summary>
    public long CursorSaves => _cursorWriter.Saves;

    private void ReadMore()
    {
        if (_journal!.Length < _next.Position)
        {
            // The log was replaced under us (shorter than what was read): start it over rather than wait for ever.
            _log($"MQTT: the safety log {_journal.Name} is shorter than the safety cursor (replaced?); publishing it from the start");
            _unacked.Clear();
            _inflight.Clear();
            _cursor = _next = SafetyCursorState.Start;
            _cursorDirty = true;
        }
        _read.Clear();
        int want = _window - _unacked.Count;
        int n = _journal.ReadFrom(_next.Position, want, _read);
        foreach (SafetyJournalEntry e in _read)
        {
            // A host run starts where the supervisor numbers from 1 again (ids only grow within a run).
            long run = _next.Run == 0 || e.Event.Id <= _next.LastId ? e.WallUnixNs : _next.Run;
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            TelemetryPayloads.WriteSafetyEvent(_writer, e.Event, _layout, run, e.WallUnixNs, _session);
            _writer.Flush();
            _unacked.Add(new Item(e, run, _buffer.WrittenSpan.ToArray()));
            _next = new SafetyCursorState(e.Next, e.Position, e.Event.Id, run);
        }
        if (n == want) Volatile.Write(ref _more, 1); // the window is full: there may be more
    }

    private bool Fits(in SafetyCursorState c)
    {
        if (_journal!.Length < c.Position) return false;
        _read.Clear();
        return _journal.ReadFrom(c.Record, 1, _read) == 1 && _read[0].Position == c.Record && _read[0].Next == c.Position &&
               _read[0].Event.Id == c.LastId;
    }

    private sealed class Item(SafetyJournalEntry entry, long run, byte[] payload)
    {
        public SafetyJournalEntry Entry { get; } = entry;
        public long Run { get; } = run;
        public byte[] Payload { get; } = payload;
        public bool Sent { get; set; }
        public bool Acked { get; set; }
    }
}
