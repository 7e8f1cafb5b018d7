using Rt.Telemetry.Link;
using Rt.Telemetry.Native;

namespace Rt.Telemetry.Monitoring;

/// <summary>Connection and display settings for <see cref="TelemetryMonitor"/>.</summary>
public sealed record MonitorOptions
{
    public string TopicPrefix { get; init; } = "rt";
    public string CaFile { get; init; } = "";
    public string CertFile { get; init; } = "";
    public string KeyFile { get; init; } = "";
    public string CredentialsFile { get; init; } = "";
    public TimeSpan Refresh { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Redraw in place with ANSI escapes (a terminal); false appends frames (logs, pipes).</summary>
    public bool Ansi { get; init; } = !Console.IsOutputRedirected;
}

/// <summary>
/// <c>rt monitor</c>: subscribes (read-only: it never publishes) to one robot's topics and shows the live
/// divergence per channel. Not real-time safe.
/// </summary>
public sealed class TelemetryMonitor : IDisposable
{
    private readonly MqttSubscriber _client;
    private readonly TelemetryTopics _topics;
    private readonly MonitorOptions _options;
    private string _connectionNote = "connecting…";

    /// <summary>Not real-time safe. Creates the client; <see cref="RunAsync(TextWriter, CancellationToken)"/> connects.</summary>
    public TelemetryMonitor(BrokerUri broker, string robotId, MonitorOptions? options = null)
    {
        _options = options ?? new MonitorOptions();
        _topics = new TelemetryTopics(_options.TopicPrefix, robotId);
        View = new MonitorView(_topics);
        _client = new MqttSubscriber(new MqttConnectOptions(broker, $"rt-monitor-{Environment.ProcessId}-{Guid.NewGuid():N}"[..23])
        {
            CaFile = _options.CaFile,
            CertFile = _options.CertFile,
            KeyFile = _options.KeyFile,
            Credentials = string.IsNullOrEmpty(_options.CredentialsFile) ? null : MqttCredentials.Load(_options.CredentialsFile),
        }, _topics.All)
        {
            Status = s => _connectionNote = s == "connected" ? $"connected to {broker}" : $"{broker}: {s} (retrying)",
            MessageReceived = (topic, payload, _) => View.Apply(topic, payload),
        };
    }

    public MonitorView View { get; }

    /// <summary>Not real-time safe. Connects and redraws every <see cref="MonitorOptions.Refresh"/> until cancelled.</summary>
    public async Task RunAsync(TextWriter output, CancellationToken cancellationToken)
    {
        _client.Start();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (_options.Ansi) await output.WriteAsync("\u001b[H\u001b[2J").ConfigureAwait(false);
                await output.WriteLineAsync(_connectionNote).ConfigureAwait(false);
                View.Render(output);
                if (!_options.Ansi) await output.WriteLineAsync().ConfigureAwait(false);
                await Task.Delay(_options.Refresh, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Not real-time safe. One-call form for the CLI: <c>rt monitor --broker … --robot …</c>.</summary>
    public static async Task RunAsync(BrokerUri broker, string robotId, TextWriter output, CancellationToken cancellationToken,
        MonitorOptions? options = null)
    {
        using var monitor = new TelemetryMonitor(broker, robotId, options);
        await monitor.RunAsync(output, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _client.Dispose();
}
