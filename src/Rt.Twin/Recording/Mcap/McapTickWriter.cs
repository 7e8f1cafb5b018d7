using Rt.Core.Divergence;
using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Twin.Recording.Mcap;

/// <summary>
/// Turns tick records (<see cref="RecordLayout"/> rows) into an MCAP file that robotics tools open: ROS 2
/// <c>sensor_msgs/msg/JointState</c> on /joint_states (measured) and /rt/joint_commands (targets, feedforward torque as
/// effort), <c>sensor_msgs/msg/Imu</c> on /imu/&lt;name&gt;, the twin's per-joint predictions on /rt/twin/prediction
/// (JointState), its verdict on /rt/twin/divergence, the gate's state on /rt/safety/state (on change), the supervisor's
/// events on /rt/safety/events, the URDF once on /robot_description, and the lossless record on /rt/tick (which
/// <see cref="McapTickRecording"/> reads back for calibration and validation). All CDR with ros2msg schemas.
/// Log and header times are the tick's scheduled time. Not real-time safe: the recorder's writer thread and offline
/// converters use it; once warm it allocates nothing per record.
/// </summary>
public sealed class McapTickWriter : IDisposable
{
    /// <summary>Name of the metadata record that carries the tick record's layout.</summary>
    public const string LayoutMetadataName = "rt.recording";
    public const string TickTopic = "/rt/tick";

    private readonly McapWriter _mcap;
    private readonly RecordLayout _layout;
    private readonly CdrWriter _cdr = new(16 * 1024);
    private readonly string? _description;
    private readonly McapChannel _jointStates, _commands, _prediction, _divergence, _safetyState, _safetyEvents, _tick;
    private readonly McapChannel? _descriptionChannel;
    private readonly McapChannel[] _imus;
    private readonly uint[] _sequence;
    private readonly string[] _jointNames;
    private readonly double[] _a, _b, _c, _innovation, _score, _detector, _external;
    private readonly bool[] _over;
    private readonly int[] _positionChannel, _velocityChannel, _torqueChannel;
    private readonly double[] _covariance = new double[9];
    private readonly double[] _orientationUnknown = [-1, 0, 0, 0, 0, 0, 0, 0, 0];
    private int _lastSafetyFlags = -1;
    private bool _descriptionWritten;

    /// <param name="compression">MCAP chunk compression: "zstd" (default; about a fifth of the size) or "" (none).</param>
    public McapTickWriter(string path, string robot, RecordLayout layout, long periodNs, string? robotDescription, int chunkSize = 1 << 20, string compression = "zstd")
    {
        ArgumentNullException.ThrowIfNull(layout);
        _layout = layout;
        _description = robotDescription;
        var names = layout.Channels;
        foreach (var n in names.JointNames.Concat(names.ImuNames).Append(robot))
            if (n.Contains('\n')) throw new ArgumentException($"name '{n}' contains a line break; the recording's layout lists names one per line");
        Path = System.IO.Path.GetFullPath(path);
        _mcap = McapWriter.Create(Path, "ros2", "rt " + typeof(McapTickWriter).Assembly.GetName().Version, chunkSize, compression);
        try
        {
            _mcap.AddMetadata(LayoutMetadataName,
            [
                new("robot", robot),
                new("format", "rt tick record"),
                new("version", TickRecordingFormat.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("period_ns", periodNs.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new("joint_names", string.Join('\n', names.JointNames)),
                new("imu_names", string.Join('\n', names.ImuNames)),
                new("width", layout.Width.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ]);
            ushort jointState = Schema(RosSchemas.JointStateName, RosSchemas.JointState);
            ushort imu = Schema(RosSchemas.ImuName, RosSchemas.Imu);
            ushort divergence = Schema(RosSchemas.TwinDivergenceName, RosSchemas.TwinDivergence);
            ushort safetyState = Schema(RosSchemas.SafetyStateName, RosSchemas.SafetyState);
            ushort safetyEvent = Schema(RosSchemas.SafetyEventName, RosSchemas.SafetyEvent);
            ushort tick = Schema(RosSchemas.TickRecordName, RosSchemas.TickRecord);
            _jointStates = Channel(jointState, "/joint_states");
            _commands = Channel(jointState, "/rt/joint_commands");
            _prediction = Channel(jointState, "/rt/twin/prediction");
            _imus = new McapChannel[names.ImuCount];
            for (int i = 0; i < _imus.Length; i++) _imus[i] = Channel(imu, "/imu/" + names.ImuNames[i]);
            _divergence = _mcap.AddChannel(divergence, "/rt/twin/divergence", RosSchemas.MessageEncoding, [new("channels", string.Join('\n', names.Channels.Select(c => c.Name)))]);
            _safetyState = Channel(safetyState, "/rt/safety/state");
            _safetyEvents = Channel(safetyEvent, "/rt/safety/events");
            _tick = Channel(tick, TickTopic);
            if (robotDescription != null) _descriptionChannel = Channel(Schema(RosSchemas.StringName, RosSchemas.String), "/robot_description");
        }
        catch
        {
            _mcap.Dispose();
            throw;
        }
        _sequence = new uint[16 + names.ImuCount];
        _jointNames = [.. names.JointNames];
        int j = names.JointCount;
        _a = new double[j];
        _b = new double[j];
        _c = new double[j];
        _external = new double[j];
        _innovation = new double[names.Count];
        _score = new double[names.Count];
        _detector = new double[names.Count];
        _over = new bool[names.Count];
        _positionChannel = [.. Enumerable.Range(0, j).Select(k => names.IndexOf(ChannelKind.JointPosition, k))];
        _velocityChannel = [.. Enumerable.Range(0, j).Select(k => names.IndexOf(ChannelKind.JointVelocity, k))];
        _torqueChannel = [.. Enumerable.Range(0, j).Select(k => names.IndexOf(ChannelKind.JointTorque, k))];
    }

    public string Path { get; }
    public long Records { get; private set; }
    public ulong Messages => _mcap.MessageCount;
    public long Bytes => _mcap.Position;

    /// <summary>Writes one tick record as its messages.</summary>
    public void Append(long tick, ReadOnlySpan<double> record)
    {
        if (record.Length != _layout.Width) throw new ArgumentException($"record has {record.Length} values, layout has {_layout.Width}", nameof(record));
        long ns = (long)record[RecordLayout.TimeOffset];
        ulong t = (ulong)Math.Max(0, ns);
        int flags = (int)record[RecordLayout.FlagsOffset];
        var L = _layout;

        if (!_descriptionWritten && _descriptionChannel != null)
        {
            _descriptionWritten = true;
            _cdr.Begin().String(_description!);
            Write(_descriptionChannel, t);
        }

        // Measured joint state: SI position, velocity, torque.
        for (int j = 0; j < _jointNames.Length; j++)
        {
            _a[j] = record[L.Joint(j, JointField.Position)];
            _b[j] = record[L.Joint(j, JointField.Velocity)];
            _c[j] = record[L.Joint(j, JointField.Torque)];
        }
        JointState(_jointStates, ns, t);

        // Commands: the targets the drives were sent and the feedforward torque.
        for (int j = 0; j < _jointNames.Length; j++)
        {
            _a[j] = record[L.Joint(j, JointField.TargetPosition)];
            _b[j] = record[L.Joint(j, JointField.TargetVelocity)];
            _c[j] = record[L.Joint(j, JointField.FeedforwardTorque)];
        }
        JointState(_commands, ns, t);

        for (int i = 0; i < _imus.Length; i++)
        {
            var w = _cdr.Begin();
            w.Header(ns, _layout.Channels.ImuNames[i]);
            w.Float64(0); w.Float64(0); w.Float64(0); w.Float64(1);
            w.Float64Array(_orientationUnknown); // orientation not estimated: covariance[0] = -1 per REP 145
            w.Float64(record[L.Imu(i, ImuField.AngularRateX)]);
            w.Float64(record[L.Imu(i, ImuField.AngularRateY)]);
            w.Float64(record[L.Imu(i, ImuField.AngularRateZ)]);
            w.Float64Array(_covariance);
            w.Float64(record[L.Imu(i, ImuField.SpecificForceX)]);
            w.Float64(record[L.Imu(i, ImuField.SpecificForceY)]);
            w.Float64(record[L.Imu(i, ImuField.SpecificForceZ)]);
            w.Float64Array(_covariance);
            Write(_imus[i], t);
        }

        bool valid = (flags & RecordLayout.FlagDivergenceValid) != 0;
        int n = _layout.Channels.Count;
        for (int c = 0; c < n; c++)
        {
            _innovation[c] = record[L.Channel(c, ChannelField.Innovation)];
            _score[c] = record[L.Channel(c, ChannelField.Score)];
            _detector[c] = record[L.Channel(c, ChannelField.Detector)];
            _over[c] = record[L.Channel(c, ChannelField.OverThreshold)] != 0;
        }
        for (int j = 0; j < _external.Length; j++) _external[j] = record[L.ExternalTorque(j)];
        if (valid)
        {
            // The twin's prediction is what it expected before correcting: measured minus innovation.
            for (int j = 0; j < _jointNames.Length; j++)
            {
                _a[j] = record[L.Joint(j, JointField.Position)] - Innovation(_positionChannel[j]);
                _b[j] = record[L.Joint(j, JointField.Velocity)] - Innovation(_velocityChannel[j]);
                _c[j] = record[L.Joint(j, JointField.Torque)] - Innovation(_torqueChannel[j]);
            }
            JointState(_prediction, ns, t);
        }
        {
            var w = _cdr.Begin();
            w.Header(ns, "");
            w.Bool(valid);
            w.Float64Sequence(_innovation);
            w.Float64Sequence(_score);
            w.Float64Sequence(_detector);
            w.BoolSequence(_over);
            w.Float64Sequence(_external);
            w.Int32((int)record[L.WorstChannelOffset]);
            w.Float64(record[L.WorstRatioOffset]);
            w.Int32((int)record[L.OverCountOffset]);
            Write(_divergence, t);
        }

        const int safetyBits = ~RecordLayout.FlagDivergenceValid; // everything but the twin's validity
        if ((flags & safetyBits) != _lastSafetyFlags)
        {
            _lastSafetyFlags = flags & safetyBits;
            var w = _cdr.Begin();
            w.Header(ns, "");
            w.String(StateName((flags >> 8) & 0xFF));
            w.String(PowerName((flags >> 16) & 0xFF));
            w.Bool((flags & RecordLayout.FlagAllDrivesOperational) != 0);
            w.Bool((flags & RecordLayout.FlagMotionRequested) != 0);
            w.Bool((flags & RecordLayout.FlagTargetsOverridden) != 0);
            w.Bool((flags & RecordLayout.FlagInputsStale) != 0);
            Write(_safetyState, t);
        }

        {
            var w = _cdr.Begin();
            w.Int64(tick);
            w.Float64Sequence(record);
            Write(_tick, t);
        }
        Records++;
    }

    /// <summary>Writes one supervisor event (from the safety log) at its tick's time.</summary>
    public void WriteSafetyEvent(in SafetyEvent e)
    {
        var w = _cdr.Begin();
        w.Header(e.TimeNs, "");
        w.Int64(e.Id);
        w.Int64(e.Tick);
        w.String(StateName((int)e.From));
        w.String(StateName((int)e.To));
        w.String(FaultName(e.Trigger));
        w.Int16(e.Channel);
        w.String(e.Reaction.ToString());
        w.Float64(e.Value);
        w.Float64(e.Threshold);
        Write(_safetyEvents, (ulong)Math.Max(0, e.TimeNs));
    }

    public void Flush() => _mcap.FlushChunk();

    /// <summary>Writes the summary and footer and closes the file.</summary>
    public void Dispose() => _mcap.Dispose();

    private double Innovation(int channel) => channel < 0 ? 0 : _innovation[channel];

    private void JointState(McapChannel channel, long ns, ulong t)
    {
        var w = _cdr.Begin();
        w.Header(ns, "");
        w.StringSequence(_jointNames);
        w.Float64Sequence(_a);
        w.Float64Sequence(_b);
        w.Float64Sequence(_c);
        Write(channel, t);
    }

    private void Write(McapChannel channel, ulong t) => _mcap.WriteMessage(channel, _sequence[channel.Id]++, t, t, _cdr.Written);

    private ushort Schema(string name, string text) => _mcap.AddSchema(name, RosSchemas.Encoding, RosSchemas.Bytes(text));

    private McapChannel Channel(ushort schema, string topic) => _mcap.AddChannel(schema, topic, RosSchemas.MessageEncoding);

    private static readonly string[] StateNames = [.. Enumerable.Range(0, 256).Select(i => Enum.IsDefined((SafetyState)(byte)i) ? ((SafetyState)(byte)i).ToString() : $"state {i}")];
    private static readonly string[] PowerNames = [.. Enumerable.Range(0, 256).Select(i => Enum.IsDefined((DrivePowerRequest)(byte)i) ? ((DrivePowerRequest)(byte)i).ToString() : $"power {i}")];

    private static string StateName(int s) => StateNames[s & 0xFF];
    private static string PowerName(int p) => PowerNames[p & 0xFF];
    private static string FaultName(FaultCode f) => f.ToString();
}
