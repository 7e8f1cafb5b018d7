using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Rt.Core.Errors;

namespace Rt.Drivers.Gpio;

/// <summary>
/// A GPIO chip opened through the Linux character device (/dev/gpiochipN, v2 uAPI). Requests single lines as
/// inputs (with kernel debounce) or outputs. Not real-time safe (opening, ioctls that allocate kernel state);
/// the lines it returns are read/written in the tick.
/// </summary>
public sealed unsafe class GpioChip : IDisposable
{
    private int _fd;

    private GpioChip(string path, int fd, string name, string label, uint lines)
    {
        Path = path;
        _fd = fd;
        Name = name;
        Label = label;
        Lines = lines;
    }

    public string Path { get; }
    public string Name { get; }
    public string Label { get; }

    /// <summary>Number of lines; valid offsets are 0..Lines-1.</summary>
    public uint Lines { get; }

    /// <summary>Opens a chip; throws <see cref="InputError"/> naming the device when it is missing or not a GPIO chip.</summary>
    public static GpioChip Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new InputError(path, "", "GPIO chip not found: no such device (is the gpio driver loaded, and is the path /dev/gpiochipN?)");
        int fd = GpioNative.Open(path, GpioNative.ORdWr | GpioNative.OCloExec);
        if (fd < 0)
            throw new InputError(path, "", $"cannot open GPIO chip: {GpioNative.Describe(Marshal.GetLastPInvokeError())}");
        GpioChipInfo info;
        if (GpioNative.Ioctl(fd, GpioUapi.GetChipInfo, &info) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            GpioNative.Close(fd);
            throw new InputError(path, "", $"not a GPIO character device (GPIO_GET_CHIPINFO_IOCTL failed: {GpioNative.Describe(errno)})");
        }
        return new GpioChip(path, fd, CString(info.Name), CString(info.Label), info.Lines);
    }

    /// <summary>Requests one line as an input. <paramref name="debounceUs"/> &gt; 0 asks the kernel to debounce it.</summary>
    public GpioInputLine RequestInput(uint offset, string consumer, bool activeLow = false, uint debounceUs = 0,
        GpioV2LineFlags bias = GpioV2LineFlags.None, bool levelOnError = true)
    {
        var flags = GpioV2LineFlags.Input | (activeLow ? GpioV2LineFlags.ActiveLow : 0) | bias;
        int fd = Request(offset, consumer, flags, debounceUs, outputValue: null);
        return new GpioInputLine(fd, offset, levelOnError);
    }

    /// <summary>Requests one line as an output, driven to <paramref name="initial"/> from the moment it is requested.</summary>
    public GpioOutputLine RequestOutput(uint offset, string consumer, bool initial = false, bool activeLow = false)
    {
        var flags = GpioV2LineFlags.Output | (activeLow ? GpioV2LineFlags.ActiveLow : 0);
        int fd = Request(offset, consumer, flags, 0, initial);
        return new GpioOutputLine(fd, offset);
    }

    /// <summary>Builds the GPIO_V2_GET_LINE_IOCTL request for one line (exposed for the layout tests).</summary>
    public static GpioV2LineRequest BuildRequest(uint offset, string consumer, GpioV2LineFlags flags, uint debounceUs, bool? outputValue)
    {
        var req = default(GpioV2LineRequest);
        req.Offsets[0] = offset;
        req.NumLines = 1;
        var name = Encoding.ASCII.GetBytes(consumer ?? "");
        for (int i = 0; i < name.Length && i < GpioUapi.MaxNameSize - 1; i++) req.Consumer[i] = name[i];
        req.Config.Flags = (ulong)flags;
        uint n = 0;
        if (debounceUs > 0)
        {
            req.Config.Attrs[(int)n].Attr.Id = (uint)GpioV2LineAttrId.Debounce;
            req.Config.Attrs[(int)n].Attr.DebouncePeriodUs = debounceUs;
            req.Config.Attrs[(int)n].Mask = 1;
            n++;
        }
        if (outputValue is bool v)
        {
            req.Config.Attrs[(int)n].Attr.Id = (uint)GpioV2LineAttrId.OutputValues;
            req.Config.Attrs[(int)n].Attr.Values = v ? 1UL : 0UL;
            req.Config.Attrs[(int)n].Mask = 1;
            n++;
        }
        req.Config.NumAttrs = n;
        return req;
    }

    private int Request(uint offset, string consumer, GpioV2LineFlags flags, uint debounceUs, bool? outputValue)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        if (offset >= Lines)
            throw new InputError(Path, $"line {offset.ToString(CultureInfo.InvariantCulture)}",
                $"GPIO line does not exist: chip '{Name}' ({Label}) has {Lines.ToString(CultureInfo.InvariantCulture)} lines (0..{(Lines == 0 ? 0 : Lines - 1).ToString(CultureInfo.InvariantCulture)})");
        var req = BuildRequest(offset, consumer, flags, debounceUs, outputValue);
        if (GpioNative.Ioctl(_fd, GpioUapi.V2GetLine, &req) < 0)
            throw new InputError(Path, $"line {offset.ToString(CultureInfo.InvariantCulture)}",
                $"cannot request GPIO line: {GpioNative.Describe(Marshal.GetLastPInvokeError())} (in use by another consumer?)");
        return req.Fd;
    }

    private static string CString(byte* p)
    {
        int n = 0;
        while (n < GpioUapi.MaxNameSize && p[n] != 0) n++;
        return Encoding.ASCII.GetString(p, n);
    }

    public void Dispose()
    {
        if (_fd >= 0) GpioNative.Close(_fd);
        _fd = -1;
    }
}
