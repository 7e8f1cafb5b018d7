using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

/// <summary>
/// The safety log read as a journal from a byte position (what telemetry's safety-event publisher does while the
/// safety log's thread appends). Session records (each host run's first record) sit between events and must be
/// stepped over, never stopped on or stepped back over: a campaign run with a broker once read a session record alone
/// while events were appended, moved its position backwards past 0 and stopped the publisher.
/// </summary>
public sealed class SafetyLogJournalTests : IDisposable
{
    private const string Digest = "63f3566aed13ca99ba38efe08062cfcef392cdd61f9b0ad70062131edeabb813";
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-safety-journal-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static SafetyEvent Ev(long id) => new(id, id * 10, id * 1000, SafetyState.Operational, SafetyState.Stopping,
        FaultCode.TwinDivergence, (short)(id % 50), StopCategory.Cat1, id * 1.5, 2);

    [Fact]
    public void A_session_record_alone_reads_nothing_and_the_events_after_it_are_read_from_the_start()
    {
        string path = Path.Combine(_dir, "a.log");
        var journal = new SafetyLogJournal(path);
        using var w = new SafetyLogWriter(path);
        w.AppendSession(Digest, 1);
        w.Flush();
        var read = new List<SafetyJournalEntry>();
        Assert.Equal(0, journal.ReadFrom(0, 10, read));

        for (int i = 1; i <= 3; i++) w.Append(Ev(i), 2);
        w.Flush();
        Assert.Equal(3, journal.ReadFrom(0, 10, read));
        Assert.Equal([1L, 2, 3], read.Select(e => e.Event.Id));
        Assert.Equal(SafetyLogFormat.SessionRecordLength, read[0].Position);
        Assert.Equal(read[0].Next, read[1].Position);

        read.Clear();
        Assert.Equal(2, journal.ReadFrom(SafetyLogFormat.SessionRecordLength + SafetyLogFormat.RecordLength, 10, read));
        Assert.Equal([2L, 3], read.Select(e => e.Event.Id));
    }

    [Fact]
    public void A_log_longer_than_a_chunk_with_sessions_between_events_is_read_whole_in_order()
    {
        string path = Path.Combine(_dir, "long.log");
        long id = 0;
        using (var w = new SafetyLogWriter(path))
        {
            for (int session = 0; session < 4; session++)
            {
                w.AppendSession(Digest, session);
                for (int i = 0; i < 700; i++) w.Append(Ev(++id), session); // 4 × 700 × 72 B ≈ 200 kB: several chunks
                w.Flush();
            }
        }
        Assert.True(new FileInfo(path).Length > 3 * 64 * 1024);
        var read = new List<SafetyJournalEntry>();
        Assert.Equal((int)id, new SafetyLogJournal(path).ReadFrom(0, int.MaxValue, read));
        Assert.Equal(Enumerable.Range(1, (int)id).Select(i => (long)i), read.Select(e => e.Event.Id));
        for (int i = 1; i < read.Count; i++)
            Assert.True(read[i].Position == read[i - 1].Next || read[i].Position == read[i - 1].Next + SafetyLogFormat.SessionRecordLength,
                $"entry {i}: position {read[i].Position} after next {read[i - 1].Next}");
    }

    [Fact]
    public void A_record_being_appended_is_not_read_until_it_is_whole()
    {
        string path = Path.Combine(_dir, "torn.log");
        using (var w = new SafetyLogWriter(path))
        {
            w.AppendSession(Digest, 0);
            w.Append(Ev(1), 0);
        }
        var whole = new byte[SafetyLogFormat.RecordLength];
        SafetyLogFormat.Encode(Ev(2), 0, whole);
        using (var fs = new FileStream(path, FileMode.Append)) fs.Write(whole, 0, 30);
        var journal = new SafetyLogJournal(path);
        var read = new List<SafetyJournalEntry>();
        Assert.Equal(1, journal.ReadFrom(0, 10, read));
        long next = read[0].Next;
        read.Clear();
        Assert.Equal(0, journal.ReadFrom(next, 10, read));
        using (var fs = new FileStream(path, FileMode.Append)) fs.Write(whole, 30, whole.Length - 30);
        Assert.Equal(1, journal.ReadFrom(next, 10, read));
        Assert.Equal(2, read[0].Event.Id);
    }

    [Fact]
    public void A_reader_following_a_log_that_is_appended_to_meanwhile_reads_every_event_once_and_never_fails()
    {
        string path = Path.Combine(_dir, "live.log");
        const int Sessions = 300, PerSession = 3;
        using var w = new SafetyLogWriter(path);
        var journal = new SafetyLogJournal(path);
        var writer = new Thread(() =>
        {
            long id = 0;
            for (int s = 0; s < Sessions; s++)
            {
                w.AppendSession(Digest, s); // a session record on its own, then events: the case that stepped back
                w.Flush();
                for (int i = 0; i < PerSession; i++) { w.Append(Ev(++id), s); w.Flush(); }
            }
        });
        writer.Start();
        var got = new List<long>();
        var read = new List<SafetyJournalEntry>();
        long cursor = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        try
        {
            while (got.Count < Sessions * PerSession && DateTime.UtcNow < deadline)
            {
                read.Clear();
                journal.ReadFrom(cursor, 2, read);
                foreach (SafetyJournalEntry e in read) { got.Add(e.Event.Id); cursor = e.Next; }
            }
        }
        finally
        {
            writer.Join(); // before the writer is disposed, whatever the reader did
        }
        Assert.Equal(Enumerable.Range(1, Sessions * PerSession).Select(i => (long)i), got);
    }
}
