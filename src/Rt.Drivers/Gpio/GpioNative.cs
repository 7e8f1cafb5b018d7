using System.Runtime.InteropServices;

namespace Rt.Drivers.Gpio;

/// <summary>The three libc calls the GPIO character device needs.</summary>
internal static unsafe partial class GpioNative
{
    public const int ORdWr = 0x2, ORdOnly = 0x0, OCloExec = 0x80000;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* arg);

    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}
