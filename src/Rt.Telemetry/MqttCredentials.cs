using System.Text;
using Rt.Core.Errors;

namespace Rt.Telemetry;

/// <summary>
/// Username and password for the broker, read from a "username:password" file that only its owner may read.
/// The password never appears in <see cref="ToString"/>, logs or exception messages. Not real-time safe.
/// </summary>
public sealed class MqttCredentials
{
    private readonly byte[] _password;

    private MqttCredentials(string username, byte[] password)
    {
        Username = username;
        _password = password;
    }

    public string Username { get; }

    public override string ToString() => $"user '{Username}' (password hidden)";

    /// <summary>A copy of the password bytes for the MQTT client (MQTT 5 passwords are binary data).</summary>
    internal byte[] Password() => _password.ToArray();

    /// <summary>
    /// Not real-time safe. Loads the credentials file; refuses it (<see cref="InputError"/>) when it is missing,
    /// readable or writable by group or others, or not of the form "username:password" on its first line.
    /// </summary>
    public static MqttCredentials Load(string path)
    {
        if (!File.Exists(path)) throw new InputError(path, "", "credentials file not found");
        UnixFileMode mode = OperatingSystem.IsWindows() ? UnixFileMode.None : File.GetUnixFileMode(path);
        const UnixFileMode groupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                          UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        if ((mode & groupOrOther) != 0)
            throw new InputError(path, "permissions",
                $"credentials file is accessible by group or others (mode {Convert.ToString((int)mode, 8)}); run: chmod 600 {path}");
        byte[] raw = File.ReadAllBytes(path);
        try
        {
            int end = Array.IndexOf(raw, (byte)'\n');
            int len = end < 0 ? raw.Length : end;
            if (len > 0 && raw[len - 1] == (byte)'\r') len--;
            int colon = Array.IndexOf(raw, (byte)':', 0, len);
            if (colon <= 0)
                throw new InputError(path, "line 1", "expected 'username:password' (the contents are not shown)");
            string user = Encoding.UTF8.GetString(raw, 0, colon);
            byte[] pw = raw.AsSpan(colon + 1, len - colon - 1).ToArray();
            return new MqttCredentials(user, pw);
        }
        finally
        {
            Array.Clear(raw);
        }
    }
}
