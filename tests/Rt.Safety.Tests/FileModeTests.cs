using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Safety;

namespace Rt.Safety.Tests;

/// <summary>What Rt.Safety writes (safety log, flight recordings) is never world-readable.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FileModeTests : IDisposable
{
    private const UnixFileMode Other = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
    private const UnixFileMode Mode0640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-modes-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static SafetyEvent Ev => new(1, 1, 1, SafetyState.Operational, SafetyState.Faulted, FaultCode.EStop, 0, StopCategory.Cat0, 1, 0);

    [Fact]
    public void Safety_log_is_created_0640_in_a_0750_folder()
    {
        string path = Path.Combine(_dir, "state", "rt-safety.log");
        using (var w = new SafetyLogWriter(path)) w.Append(Ev, 0);
        Assert.Equal(Mode0640, File.GetUnixFileMode(path)); // umask 022 or 027 leaves 0640 as it is
        var dirMode = File.GetUnixFileMode(Path.GetDirectoryName(path)!);
        Assert.Equal((UnixFileMode)0, dirMode & Other);
        Assert.Equal(UnixFileMode.None, dirMode & UnixFileMode.GroupWrite);
    }

    [Fact]
    public void An_existing_world_readable_log_loses_its_other_bits()
    {
        string path = Path.Combine(_dir, "old.log");
        File.WriteAllBytes(path, []);
        File.SetUnixFileMode(path, Mode0640 | UnixFileMode.OtherRead);
        using (var w = new SafetyLogWriter(path)) w.Append(Ev, 0);
        Assert.Equal(Mode0640, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Flight_recordings_are_created_0640()
    {
        var rig = new Rig().Operational();
        rig.EStop.Set(true);
        rig.Run(3);
        string? dump = rig.Recorder.TryDump(Path.Combine(_dir, "flights"));
        Assert.NotNull(dump);
        Assert.Equal(Mode0640, File.GetUnixFileMode(dump));
    }
}
