namespace Rt.Session;

/// <summary>Exit codes of the <c>rt</c> binary: scripts and CI key off these.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The run finished with the safety supervisor tripped (stopping, stopped, holding or faulted).</summary>
    public const int RunFaulted = 1;

    /// <summary>Bad input: config, robot description, parameter file, recording, command line.</summary>
    public const int BadInput = 2;

    /// <summary>A required library or device is missing (MuJoCo, libmosquitto, an interface).</summary>
    public const int Unavailable = 3;

    /// <summary>--require-rt was given and a real-time privilege was refused.</summary>
    public const int RealtimeRefused = 4;
}

/// <summary>A required library, device or interface is not there; the message says what to install or check.</summary>
public sealed class HostUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
