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
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (InputError e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("refusing to enable motion.");
            return ExitCodes.BadInput;
        }
        catch (Rt.Drivers.Gpio.DeviceUnavailableException e)
        {
            // A configured GPIO chip/line, I2C bus, expander or IMU is not there or is another chip (issue 15).
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine("refusing to enable motion.");
            return ExitCodes.Unavailable;
        }
        catch (DllNotFoundException e)
        {
            // A native library a command needs is not installed (exit 3, as for a missing device).
            Console.Error.WriteLine($"error: missing library: {e.Message}");
            return ExitCodes.Unavailable;
        }
        catch (HostUnavailableException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Unavailable;
        }
        catch (EtherCatException e) when (e.IsConfigMismatch)
        {
            Console.Error.WriteLine($"error: EtherCAT bus does not match the config: {e.Message}");
            Console.Error.WriteLine("refusing to enable motion.");
            return ExitCodes.BadInput;
        }
        catch (EtherCatException e)
        {
            Console.Error.WriteLine($"error: EtherCAT: {e.Message}");
            return ExitCodes.Unavailable;
        }
        catch (RealtimeUnavailableException e)
        {
            Console.Error.WriteLine($"error: --require-rt: {e.Message}");
            return ExitCodes.RealtimeRefused;
        }
        catch (FileNotFoundException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (DirectoryNotFoundException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (UnauthorizedAccessException e)
        {
            // A file or folder the user named (config, output, state folder) that this user may not read or write.
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (IOException e)
        {
            // A file or stream that failed under the host (a full disk, a closed pipe, /dev/full): the machine, not a bug; "could not run".
            Console.Error.WriteLine($"error: input/output failed: {e.Message}");
            return ExitCodes.Unavailable;
        }
        catch (Exception e)
        {
            // The contract has no code for a bug: one line (never a trace) and 3, "could not run".
            Console.Error.WriteLine($"error: unexpected {e.GetType().Name}: {e.Message} (a bug: please report)");
            return ExitCodes.Unavailable;
        }
    }
}
