using System.Buffers.Binary;
using System.Text;
using Rt.Core.Divergence;
using Rt.Telemetry.Link;

namespace Rt.Telemetry;

/// <summary>
/// ROS 2-shaped topics: <c>{root}/joint_states</c> as a CDR-serialised <c>sensor_msgs/msg/JointState</c> and
/// <c>{root}/imu/{name}</c> as <c>sensor_msgs/msg/Imu</c> per IMU, from the latest drained record, at
/// <see cref="TelemetryOptions.RosHz"/> — the form MQTT↔ROS 2 bridges forward without custom code. The stamp is UTC
/// wall-clock time; orientation is not estimated (orientation_covariance[0] = −1, the ROS convention for "unknown").
/// Publisher thread only. Not real-time safe (no allocation per message).
/// </summary>
internal sealed class RosTopics
{
    public const string JointStateType = "application/x-ros2-cdr; type=sensor_msgs/msg/JointState";
    public const string ImuType = "application/x-ros2-cdr; type=sensor_msgs/msg/Imu";

    private readonly DivergenceSlot _slot;
    private readonly ChannelLayout _layout;
    private readonly MqttTopic _jointStates;
    private readonly MqttTopic[] _imus;
    private readonly Cdr _cdr;
    private readonly byte[][] _names, _imuNames;

    public RosTopics(DivergenceSlot slot, ChannelLayout layout, TelemetryTopics topics)
    {
        _slot = slot;
        _layout = layout;
        _jointStates = new MqttTopic($"{topics.Root}/joint_states", JointStateType);
        _imus = [.. layout.ImuNames.Select(n => new MqttTopic($"{topics.Root}/imu/{n}", ImuType))];
        _names = [.. layout.JointNames.Select(Encoding.UTF8.GetBytes)];
        _imuNames = [.. layout.ImuNames.Select(Encoding.UTF8.GetBytes)];
        int longestImu = _imuNames.Length == 0 ? 0 : _imuNames.Max(n => n.Length);
        _cdr = new Cdr(64 + _names.Sum(n => n.Length + 8) + 3 * (8 + 8 * layout.JointCount) + 8 * 40 + longestImu);
    }

    /// <summary>joint_states, then each imu topic (for traffic counts).</summary>
    public IEnumerable<MqttTopic> Topics => [_jointStates, .. _imus];

    /// <summary>Publishes joint_states and every imu from <paramref name="record"/> (one ring slot).</summary>
    public void Publish(TelemetryLink link, ReadOnlySpan<double> record, long utcNs)
    {
        ReadOnlySpan<float> f = _slot.Floats(record);
        int j = _slot.Joints;
        Cdr c = _cdr;
        c.Begin();
        Header(c, utcNs, []);
        c.UInt32((uint)j);
        foreach (byte[] n in _names) c.String(n);
        Doubles(c, f.Slice(_slot.JointPosition, j));
        Doubles(c, f.Slice(_slot.JointVelocity, j));
        Doubles(c, f.Slice(_slot.JointEffort, j));
        link.TryPublish(_jointStates, c.Written, qos: 0, retain: false, out _);

        for (int i = 0; i < _imus.Length; i++)
        {
            ReadOnlySpan<float> m = f.Slice(_slot.Imu + DivergenceSlot.ImuFloats * i, DivergenceSlot.ImuFloats);
            c.Begin();
            Header(c, utcNs, _imuNames[i]);
            for (int k = 0; k < 4; k++) c.Double(0);       // orientation (x, y, z, w): not estimated
            c.Double(-1);                                 // orientation_covariance[0] = −1: orientation unknown
            for (int k = 1; k < 9; k++) c.Double(0);
            for (int k = 0; k < 3; k++) c.Double(m[k]);    // angular_velocity, rad/s
            for (int k = 0; k < 9; k++) c.Double(0);      // covariance unknown
            for (int k = 3; k < 6; k++) c.Double(m[k]);    // linear_acceleration (specific force), m/s²
            for (int k = 0; k < 9; k++) c.Double(0);
            link.TryPublish(_imus[i], c.Written, qos: 0, retain: false, out _);
        }
    }

    private static void Header(Cdr c, long utcNs, ReadOnlySpan<byte> frameId)
    {
        c.Int32((int)(utcNs / 1_000_000_000));
        c.UInt32((uint)(utcNs % 1_000_000_000));
        c.String(frameId);
    }

    private static void Doubles(Cdr c, ReadOnlySpan<float> values)
    {
        c.UInt32((uint)values.Length);
        foreach (float v in values) c.Double(v);
    }

    /// <summary>OMG CDR, little endian, with the 4-byte encapsulation header ROS 2 uses; alignment counts from after it.</summary>
    private sealed class Cdr(int capacity)
    {
        private readonly byte[] _b = new byte[capacity];
        private int _p;

        public ReadOnlySpan<byte> Written => _b.AsSpan(0, _p);

        public void Begin()
        {
            _b[0] = 0; _b[1] = 1; _b[2] = 0; _b[3] = 0; // CDR_LE
            _p = 4;
        }

        private void Align(int n)
        {
            while ((_p - 4) % n != 0) _b[_p++] = 0;
        }

        public void Int32(int v) { Align(4); BinaryPrimitives.WriteInt32LittleEndian(_b.AsSpan(_p), v); _p += 4; }
        public void UInt32(uint v) { Align(4); BinaryPrimitives.WriteUInt32LittleEndian(_b.AsSpan(_p), v); _p += 4; }
        public void Double(double v) { Align(8); BinaryPrimitives.WriteDoubleLittleEndian(_b.AsSpan(_p), v); _p += 8; }

        public void String(ReadOnlySpan<byte> utf8)
        {
            UInt32((uint)utf8.Length + 1);
            utf8.CopyTo(_b.AsSpan(_p));
            _p += utf8.Length;
            _b[_p++] = 0;
        }
    }
}
