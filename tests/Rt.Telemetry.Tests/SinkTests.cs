using Rt.Core.Tick;
using Rt.Telemetry.Native;

namespace Rt.Telemetry.Tests;

public sealed class SinkTests
{
    [Fact]
    public void Enqueue_is_one_push_and_allocates_nothing_even_when_the_ring_is_full()
    {
        var layout = Fixtures.Layout();
        var sink = new TelemetrySink(layout, capacity: 64);
        var state = Fixtures.State(layout);
        Fixtures.Fill(state, 1);
        for (int i = 0; i < 200; i++) sink.Enqueue(state); // warm-up, fills the ring
        var scratch = new double[sink.Slot.Width];
        while (sink.Ring.TryRead(out _, scratch)) { }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            state.Tick = i;
            sink.Enqueue(state);
            if (i % 2 == 0) sink.Ring.TryRead(out _, scratch); // half drained: exercises both push and drop
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(sink.Dropped > 0);
    }

    [Fact]
    public void A_slot_holds_every_value_of_the_record()
    {
        var layout = Fixtures.Layout();
        var sink = new TelemetrySink(layout, capacity: 4);
        var state = Fixtures.State(layout);
        Fixtures.Fill(state, 42);
        state.SafetyState = SafetyState.Holding;
        sink.Enqueue(state);
        var s = new double[sink.Slot.Width];
        Assert.True(sink.Ring.TryRead(out long tick, s));
        var l = sink.Slot;
        Assert.Equal(42, tick);
        ref readonly DivergenceSlotHeader h = ref DivergenceSlot.ReadHeader(s);
        Assert.Equal(state.TimeNs, h.TimeNs);
        Assert.Equal((byte)SafetyState.Holding, h.Safety);
        Assert.Equal(1, h.Valid);
        Assert.Equal(state.Divergence.WorstChannel, h.WorstChannel);
        Assert.Equal(state.Divergence.WorstRatio, h.WorstRatio);
        Assert.Equal(state.Divergence.OverCount, h.OverCount);
        ReadOnlySpan<float> f = l.Floats(s);
        for (int c = 0; c < layout.Count; c++)
        {
            Assert.Equal((float)state.Divergence.Innovation[c], f[l.Innovation + c]);
            Assert.Equal((float)state.Divergence.Score[c], f[l.Score + c]);
            Assert.Equal((float)state.Divergence.Detector[c], f[l.Detector + c]);
            Assert.Equal((float)state.Divergence.Threshold[c], f[l.Threshold + c]);
            Assert.Equal(state.Divergence.OverThreshold[c], DivergenceSlot.IsOver(s, c));
        }
        for (int j = 0; j < layout.JointCount; j++) Assert.Equal((float)state.Divergence.ExternalTorque[j], f[l.ExternalTorque + j]);
    }
}

public sealed class BrokerUriTests
{
    [Theory]
    [InlineData("mqtt://127.0.0.1:1883", "127.0.0.1", 1883, false)]
    [InlineData("mqtts://broker.lab:8884", "broker.lab", 8884, true)]
    [InlineData("mqtt://robot-gw", "robot-gw", 1883, false)]
    [InlineData("mqtts://robot-gw/", "robot-gw", 8883, true)]
    [InlineData("mqtt://[::1]:1884", "::1", 1884, false)]
    public void Parses_good_uris(string text, string host, int port, bool tls)
    {
        Assert.Equal(new BrokerUri(host, port, tls), BrokerUri.Parse(text));
    }

    [Theory]
    [InlineData("tcp://host:1883", "mqtt://")]
    [InlineData("mqtt://host:0", "port")]
    [InlineData("mqtt://host:70000", "port")]
    [InlineData("mqtt://host:abc", "port")]
    [InlineData("mqtt://:1883", "no host")]
    [InlineData("mqtt://user:pw@host:1883", "credentials_file")]
    [InlineData("mqtt://host:1883/topic", "no path")]
    public void Rejects_bad_uris_with_a_clear_input_error(string text, string expect)
    {
        var e = Assert.Throws<Rt.Core.Errors.InputError>(() => BrokerUri.Parse(text, "rt run", "--broker"));
        Assert.Contains(expect, e.Message, StringComparison.Ordinal);
        Assert.Equal("--broker", e.Location);
    }
}

public sealed class ServiceConfigTests
{
    [Fact]
    public void FromConfig_resolves_paths_against_the_config_and_the_command_line_broker_wins()
    {
        var cfg = new Rt.Core.Config.RtConfig { SourcePath = "/etc/rt/robot.yaml" };
        cfg.Robot.Name = "h1";
        cfg.Telemetry.Broker = "mqtt://10.0.0.1:1883";
        cfg.Telemetry.OutboxPath = "state/outbox";
        using var svc = TelemetryService.FromConfig(cfg, Fixtures.Layout(), brokerOverride: BrokerUri.Parse("mqtts://127.0.0.1:8884"));
        Assert.Equal(new BrokerUri("127.0.0.1", 8884, true), svc.Broker);
        Assert.Equal("rt/h1/divergence", svc.Topics.Divergence);

        using var fromYaml = TelemetryService.FromConfig(cfg, Fixtures.Layout());
        Assert.Equal(new BrokerUri("10.0.0.1", 1883, false), fromYaml.Broker);
    }

    [Theory]
    [InlineData("a/b", 1, 50, "robot_id")]
    [InlineData("r1", 0, 50, "decimation")]
    [InlineData("r1", 1, 0, "batch_size")]
    public void Bad_settings_are_input_errors_naming_the_key(string robot, int decimation, int batch, string key)
    {
        var section = new Rt.Core.Config.TelemetrySection { Decimation = decimation, BatchSize = batch };
        var e = Assert.Throws<Rt.Core.Errors.InputError>(() => new TelemetryService(section, Fixtures.Layout(), robot));
        Assert.Contains(key, e.Location, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_broker_in_the_config_names_the_key()
    {
        var section = new Rt.Core.Config.TelemetrySection { Broker = "http://x" };
        var e = Assert.Throws<Rt.Core.Errors.InputError>(() => new TelemetryService(section, Fixtures.Layout(), "r1"));
        Assert.Equal("telemetry.broker", e.Location);
    }
}
