using Rt.ControlLoop.Scheduling;
using Rt.Core.Errors;
using Rt.Session;
using Rt.Drivers.EtherCat;

namespace Rt.Host.Commands;

/// <summary>
/// Runs a command body and turns the failures a user can cause or fix into one clear line and an exit code,
/// never a stack trace: bad input (exit 2), a missing library or device (3), refused real-time privileges (4). A bus
/// that contradicts the config (identity, count, mapping) is bad input; no slaves, a link down or a device refusing is 3.
/// Anything else is a bug and is reported as such, with its type and message.
/// </summary>
public static class CommandRunner
{
    public static int Guard(Func<int> body) => Guard(body, Console.Error);

    /// <summary><see cref="Guard(Func{int})"/> with the error lines going to <paramref name="error"/> (tests).</summary>
    public static int Guard(Func<int> body, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            return body();
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.Count > 0)
        {
            // Parallel work (Parallel.For, tasks) wraps what failed: judge the first input error, else the first failure, as itself.
            var inner = e.Flatten().InnerExceptions;
            var first = inner.FirstOrDefault(x => x is InputError) ?? inner[0];
            return Guard(() => { System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first); return ExitCodes.Unavailable; }, error);
        }
        catch (InputError e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine("refusing to enable motion.");
            return ExitCodes.BadInput;
        }
        catch (Rt.Drivers.Gpio.DeviceUnavailableException e)
        {
            // A configured GPIO chip/line, I2C bus, expander or IMU is not there or is another chip (issue 15).
            error.WriteLine($"error: {e.Message}");
            error.WriteLine("refusing to enable motion.");
            return ExitCodes.Unavailable;
        }
        catch (DllNotFoundException e)
        {
            // A native library a command needs is not installed (exit 3, as for a missing device).
            error.WriteLine($"error: missing library: {e.Message}");
            return ExitCodes.Unavailable;
        }
        catch (HostUnavailableException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Unavailable;
        }
        catch (EtherCatException e) when (e.IsConfigMismatch)
        {
            error.WriteLine($"error: EtherCAT bus does not match the config: {e.Message}");
            error.WriteLine("refusing to enable motion.");
            return ExitCodes.BadInput;
        }
        catch (EtherCatException e)
        {
            error.WriteLine($"error: EtherCAT: {e.Message}");
            return ExitCodes.Unavailable;
        }
        catch (RealtimeUnavailableException e)
        {
            error.WriteLine($"error: --require-rt: {e.Message}");
            return ExitCodes.RealtimeRefused;
        }
        catch (FileNotFoundException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (DirectoryNotFoundException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (UnauthorizedAccessException e)
        {
            // A file or folder the user named (config, output, state folder) that this user may not read or write.
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Rt.Telemetry.Native.MosquittoUnavailableException e) when (e.InnerException is System.Security.Cryptography.CryptographicException)
        {
            // A CA, certificate or key file the user named that is not one: the file, not the machine.
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Rt.Telemetry.Native.MosquittoUnavailableException e)
        {
            error.WriteLine($"error: MQTT: {e.Message}");
            return ExitCodes.Unavailable;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode is 10 or 13)
        {
            // SQLITE_IOERR, SQLITE_FULL: the machine's disk failed or filled, not the file the user named.
            error.WriteLine($"error: health database: input/output failed: {e.Message}");
            return ExitCodes.Unavailable;
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            // The health database (the only SQLite file) refused a read or write the checks did not catch: the file, not a bug.
            error.WriteLine($"error: health database: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (IOException e)
        {
            // A file or stream that failed under the host (a full disk, a closed pipe, /dev/full): the machine, not a bug; "could not run".
            error.WriteLine($"error: input/output failed: {e.Message}");
            return ExitCodes.Unavailable;
        }
        catch (Exception e)
        {
            // The contract has no code for a bug: one line (never a trace) and 3, "could not run".
            error.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message} (a bug: please report)");
            return ExitCodes.Unavailable;
        }
    }
}
