using System.Text;
using System.Text.Json;
using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Telemetry.Link;
using Rt.Telemetry.Native;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

/// <summary>
/// Issue 14: summary ≤ 10 kB/s at the default 10 Hz for biped12, i.e. ≤ 1 000 B per message. The size of one summary
/// is deterministic (no broker, no timing): a message an hour into a run, after a trip, with every group reporting.
/// </summary>
public sealed class SummarySizeTests(ITestOutputHelper output)
{
    [Fact]
    public void An_hour_into_a_run_after_a_trip_a_biped12_summary_stays_under_900_bytes()
    {
        var layout = new ChannelLayout(Fixtures.Joints, ["pelvis_imu", "l_foot_imu", "r_foot_imu"]); // biped12: 12 joints, 3 IMUs
        var sink = new TelemetrySink(layout, 64);
        var state = Fixtures.State(layout);
        var record = new double[sink.Slot.Width];
        var connection = new AllocationTests.CountingConnection();
        using var link = new TelemetryLink(new AllocationTests.CountingFactory(connection), new MqttConnectOptions(BrokerUri.Parse("mqtt://127.0.0.1:1"), "size"),
            new TelemetryOptions(), sink, _ => { }, () => { });
        link.Open();
        link.Poll(new AllocationTests.NoObserver());
        var topics = new TelemetryTopics("rt", "biped12");
        using var summary = new SummaryTopic(sink.Slot, layout, new MqttTopic(topics.Summary, "application/json"));
        var status = new RobotStatus();
        status.SetSafety(SafetyState.Stopped);
        status.SetTick(3_599_999, 3_599_999_000_000);
        for (long t = 3_599_900; t < 3_600_000; t++)
        {
            Fixtures.Fill(state, t);
            sink.Enqueue(state);
            Assert.True(sink.Ring.TryRead(out long tick, record));
            summary.Observe(tick, record);
        }
        summary.Trip = new SafetyEvent(1207, 3_597_007, 3_597_007_000_000, SafetyState.Operational, SafetyState.Stopping,
            FaultCode.TwinDivergence, 3, StopCategory.Cat1, 19.523457, 10.25);
        summary.Publish(link, 1_796_627_083_291_252_700, status, new SummaryCounters(3_600_000, 3_599_950, 2_819, 1_234, 0, 27_290), 0.1);

        string json = Encoding.UTF8.GetString(summary.LastPayload);
        output.WriteLine($"summary.bytes: {json.Length} B ({json.Length * 10 / 1000.0:F1} kB/s at 10 Hz)");
        output.WriteLine(json);
        Assert.Equal(1, connection.Messages);
        JsonElement s = JsonDocument.Parse(json).RootElement;
        Assert.Equal(6, s.GetProperty("ratio").EnumerateObject().Count());
        Assert.All(s.GetProperty("stats").EnumerateObject(), g => Assert.Equal(JsonValueKind.Array, g.Value.ValueKind));
        Assert.Equal("TwinDivergence", s.GetProperty("cause").GetProperty("trigger").GetString());
        // Target 1 000 B (10 kB/s); the 1 h soak before v2.1 sent 1 121 B per message.
        Assert.InRange(json.Length, 1, 900);
    }
}
