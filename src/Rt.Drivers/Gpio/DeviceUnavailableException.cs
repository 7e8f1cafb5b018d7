namespace Rt.Drivers.Gpio;

/// <summary>
/// A configured device is not there or is not what the config says (GPIO chip, I²C bus, no ACK at an address, wrong
/// chip ID). One line: source, config key, what was expected and what was found. The host maps it to exit code 3
/// (device unavailable) and enables no motion. Not real-time safe: thrown only while opening.
/// </summary>
public sealed class DeviceUnavailableException : Exception
{
    public DeviceUnavailableException(string source, string key, string problem, Exception? inner = null)
        : base(string.IsNullOrEmpty(key) ? $"{source}: {problem}" : $"{source}: {key}: {problem}", inner)
    {
        Source_ = source;
        Key = key;
        Problem = problem;
    }

    /// <summary>The config file (or device path) the setting came from.</summary>
    public string Source_ { get; }

    /// <summary>The config key, e.g. <c>safety.estop_input</c> or <c>i2c_imus[0]</c>.</summary>
    public string Key { get; }

    public string Problem { get; }
}
