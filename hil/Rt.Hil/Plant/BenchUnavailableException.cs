namespace Rt.Hil.Plant;

/// <summary>
/// The bench cannot run on this machine: the MuJoCo shim or MuJoCo 2.2.2 itself is missing or the wrong version.
/// The message says what to install; the host prints it as one line instead of a loader stack trace.
/// </summary>
public sealed class BenchUnavailableException : Exception
{
    public BenchUnavailableException(string message) : base(message) { }

    public BenchUnavailableException(string message, Exception inner) : base(message, inner) { }
}
