using Rt.Core.Tick;
using Rt.Perf;
using Rt.Telemetry.Monitoring;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

public sealed class MonitorTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir("monitor");

    [Fact]
    public async Task Monitor_shows_live_divergence_per_channel_and_safety_events()
    {
        using var broker = new LocalBroker(Path.Combine(_dir, "broker")).Start();
        var layout = Fixtures.Layout();
        var log = new Fixtures.Log(output);
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        using var svc = new TelemetryService(Fixtures.Section(broker.Uri, _dir, batch: 5), layout, "r1", log.Add, Fixtures.FastOptions, journal: safetyLog.Journal);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)));

        using var monitor = new TelemetryMonitor(BrokerUri.Parse(broker.Uri), "r1", new MonitorOptions { Ansi = false });
        using var cts = new CancellationTokenSource();
        var run = monitor.RunAsync(TextWriter.Null, cts.Token);
        Assert.True(PayloadTests.SpinUntil(() => monitor.View.ChannelCount == layout.Count, TimeSpan.FromSeconds(10)), "birth not seen");

        var state = Fixtures.State(layout);
        for (long t = 0; t < 50; t++) { Fixtures.Fill(state, t); svc.Sink.Enqueue(state); }
        safetyLog.Log(svc, Fixtures.Event(3));
        Assert.True(PayloadTests.SpinUntil(() => monitor.View.LastTick == 49, TimeSpan.FromSeconds(10)), "divergence not seen");
        Assert.Equal(Fixtures.Value(49, 5, 2), monitor.View.Score(5), 4);

        Assert.True(PayloadTests.SpinUntil(() => monitor.View.SafetyEvents == 1, TimeSpan.FromSeconds(10)), "safety event not seen");
        var sw = new StringWriter();
        monitor.View.Render(sw);
        string frame = sw.ToString();
        output.WriteLine(frame);
        Assert.Contains("l_knee.position", frame, StringComparison.Ordinal);
        Assert.Contains("link online", frame, StringComparison.Ordinal);
        Assert.Contains("OVER", frame, StringComparison.Ordinal);
        Assert.Contains("TwinDivergence", frame, StringComparison.Ordinal);
        Assert.Equal(0, monitor.View.SequenceGaps);
        await cts.CancelAsync();
        await run;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
