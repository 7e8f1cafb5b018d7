namespace Rt.Core.Config;

/// <summary>
/// The HIL bench's own settings (<c>bench:</c>): what the emulated hardware is, as opposed to what the master expects
/// (<c>bus:</c>). Ignored on a real bus. Not real-time safe (read once).
/// </summary>
public sealed class BenchSection
{
    /// <summary>ESI files (ETG.2000 XML) or folders, relative to the config file, that the bench builds its emulated
    /// slaves from (by the identities of <c>bus.slaves</c>, else the Rt bench drive and IMU); empty: <c>bus.esi</c>.</summary>
    public List<string> Esi { get; set; } = [];
}
