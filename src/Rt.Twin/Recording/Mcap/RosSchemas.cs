using System.Text;

namespace Rt.Twin.Recording.Mcap;

/// <summary>
/// The "ros2msg" schema texts of the messages Rt records: the message's own definition, then each dependency after a
/// line of 80 '=' and "MSG: package/Type", as ROS 2's rosbag2 MCAP storage writes them (comments dropped). The
/// sensor_msgs, std_msgs, geometry_msgs and builtin_interfaces definitions are ROS 2's; rt_msgs are Rt's own and are
/// documented in docs/RECORDING.md.
/// </summary>
public static class RosSchemas
{
    public const string Encoding = "ros2msg";
    public const string MessageEncoding = "cdr";

    private const string Time = "int32 sec\nuint32 nanosec\n";
    private const string Header = "builtin_interfaces/Time stamp\nstring frame_id\n";
    private const string Quaternion = "float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1\n";
    private const string Vector3 = "float64 x\nfloat64 y\nfloat64 z\n";

    public const string JointStateName = "sensor_msgs/msg/JointState";
    public const string ImuName = "sensor_msgs/msg/Imu";
    public const string StringName = "std_msgs/msg/String";
    public const string TwinDivergenceName = "rt_msgs/msg/TwinDivergence";
    public const string SafetyEventName = "rt_msgs/msg/SafetyEvent";
    public const string SafetyStateName = "rt_msgs/msg/SafetyState";
    public const string TickRecordName = "rt_msgs/msg/TickRecord";

    public static string JointState => Compose(
        "std_msgs/Header header\n\nstring[] name\nfloat64[] position\nfloat64[] velocity\nfloat64[] effort\n",
        ("std_msgs/Header", Header), ("builtin_interfaces/Time", Time));

    public static string Imu => Compose(
        "std_msgs/Header header\n\ngeometry_msgs/Quaternion orientation\nfloat64[9] orientation_covariance\n\n"
        + "geometry_msgs/Vector3 angular_velocity\nfloat64[9] angular_velocity_covariance\n\n"
        + "geometry_msgs/Vector3 linear_acceleration\nfloat64[9] linear_acceleration_covariance\n",
        ("std_msgs/Header", Header), ("builtin_interfaces/Time", Time), ("geometry_msgs/Quaternion", Quaternion), ("geometry_msgs/Vector3", Vector3));

    public static string String => "string data\n";

    /// <summary>The twin's verdict for one tick, arrays indexed by the channel list in the channel's metadata.</summary>
    public static string TwinDivergence => Compose(
        "std_msgs/Header header\nbool valid\nfloat64[] innovation\nfloat64[] score\nfloat64[] detector\nbool[] over_threshold\n"
        + "float64[] external_torque\nint32 worst_channel\nfloat64 worst_ratio\nint32 over_count\n",
        ("std_msgs/Header", Header), ("builtin_interfaces/Time", Time));

    /// <summary>One supervisor state change and its cause (the safety log's event).</summary>
    public static string SafetyEvent => Compose(
        "std_msgs/Header header\nint64 id\nint64 tick\nstring from_state\nstring to_state\nstring trigger\nint16 channel\n"
        + "string reaction\nfloat64 value\nfloat64 threshold\n",
        ("std_msgs/Header", Header), ("builtin_interfaces/Time", Time));

    /// <summary>The gate's state as the tick saw it, written when it changes.</summary>
    public static string SafetyState => Compose(
        "std_msgs/Header header\nstring state\nstring power_request\nbool all_drives_operational\nbool motion_requested\n"
        + "bool targets_overridden\nbool inputs_stale\n",
        ("std_msgs/Header", Header), ("builtin_interfaces/Time", Time));

    /// <summary>The lossless tick record (RecordLayout's columns; the layout is the "rt.recording" metadata).</summary>
    public static string TickRecord => "int64 tick\nfloat64[] values\n";

    private static string Compose(string main, params (string Name, string Text)[] dependencies)
    {
        var sb = new StringBuilder(main);
        foreach (var (name, text) in dependencies)
            sb.Append('\n').Append('=', 80).Append("\nMSG: ").Append(name).Append('\n').Append(text);
        return sb.ToString();
    }

    public static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
