using System.Text.Json;
using Rt.Core.Tick;
using Rt.Perf;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

/// <summary>
/// An unexpected error while publishing safety events (a campaign run once hit one in the journal reader) neither
/// reaches the safety log's thread (which must keep draining the tick's ring) nor stops the safety path: it is said
/// once and publishing goes on from the durable cursor, so every event still arrives.
/// </summary>
public sealed class SafetyPublishErrorTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir("safety-error");

    /// <summary>The real journal, failing on the given calls of ReadFrom (1-based) as an unexpected bug would.</summary>
    private sealed class FailingJournal(ISafetyJournal inner, params int[] failOn) : ISafetyJournal
    {
        private int _calls;
        public string Name => inner.Name;
        public long Length => inner.Length;
        public int ReadFrom(long from, int max, List<SafetyJournalEntry> into)
        {
            int call = Interlocked.Increment(ref _calls);
            if (Array.IndexOf(failOn, call) >= 0) throw new ArgumentOutOfRangeException("value", "injected journal failure");
            return inner.ReadFrom(from, max, into);
        }
    }

    [Fact]
    public void A_journal_error_is_reported_once_and_every_event_is_still_delivered()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        using var sub = new TestSubscriber(broker.Uri, "rt/r1/safety");
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        // Calls 1-3 (load, fit check, first pump) pass; the reads after the first events fail twice.
        var journal = new FailingJournal(safetyLog.Journal, 4, 5);
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir), layout, "r1", log.Add, Fixtures.FastOptions, journal: journal);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)));
        for (long id = 1; id <= 20; id++)
        {
            var ex = Record.Exception(() => safetyLog.Log(svc, Fixtures.Event(id))); // the safety log's thread never sees it
            Assert.Null(ex);
        }
        Assert.True(sub.WaitFor(m => m.Select(x => JsonDocument.Parse(x.Payload).RootElement.GetProperty("id").GetInt64()).Distinct().Count() == 20,
            TimeSpan.FromSeconds(20)), $"received {sub.Snapshot().Count} safety messages");
        Assert.Contains(log.Lines, l => l.Contains("safety event publishing failed", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Lines, l => l.Contains("stopped by an error", StringComparison.Ordinal));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(10)));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
