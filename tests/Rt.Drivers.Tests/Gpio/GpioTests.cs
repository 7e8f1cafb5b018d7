using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Rt.Core.Errors;
using Rt.Drivers.Gpio;
using Xunit.Abstractions;

namespace Rt.Drivers.Tests.Gpio;

/// <summary>
/// No GPIO chip exists on this machine, so the uAPI is checked against the kernel header itself: a C program compiled
/// with gcc against /usr/include/linux/gpio.h prints every size, offset and ioctl number, and the C# layout must match.
/// </summary>
public sealed unsafe class GpioTests(ITestOutputHelper output)
{
    private const string CProgram = """
        #include <stdio.h>
        #include <stddef.h>
        #include <linux/gpio.h>
        #define P(name, value) printf("%s=%lu\n", name, (unsigned long)(value))
        int main(void) {
          P("sizeof.gpiochip_info", sizeof(struct gpiochip_info));
          P("offsetof.gpiochip_info.lines", offsetof(struct gpiochip_info, lines));
          P("sizeof.gpio_v2_line_values", sizeof(struct gpio_v2_line_values));
          P("sizeof.gpio_v2_line_attribute", sizeof(struct gpio_v2_line_attribute));
          P("offsetof.gpio_v2_line_attribute.flags", offsetof(struct gpio_v2_line_attribute, flags));
          P("offsetof.gpio_v2_line_attribute.debounce_period_us", offsetof(struct gpio_v2_line_attribute, debounce_period_us));
          P("sizeof.gpio_v2_line_config_attribute", sizeof(struct gpio_v2_line_config_attribute));
          P("offsetof.gpio_v2_line_config_attribute.mask", offsetof(struct gpio_v2_line_config_attribute, mask));
          P("sizeof.gpio_v2_line_config", sizeof(struct gpio_v2_line_config));
          P("offsetof.gpio_v2_line_config.num_attrs", offsetof(struct gpio_v2_line_config, num_attrs));
          P("offsetof.gpio_v2_line_config.attrs", offsetof(struct gpio_v2_line_config, attrs));
          P("sizeof.gpio_v2_line_request", sizeof(struct gpio_v2_line_request));
          P("offsetof.gpio_v2_line_request.consumer", offsetof(struct gpio_v2_line_request, consumer));
          P("offsetof.gpio_v2_line_request.config", offsetof(struct gpio_v2_line_request, config));
          P("offsetof.gpio_v2_line_request.num_lines", offsetof(struct gpio_v2_line_request, num_lines));
          P("offsetof.gpio_v2_line_request.event_buffer_size", offsetof(struct gpio_v2_line_request, event_buffer_size));
          P("offsetof.gpio_v2_line_request.fd", offsetof(struct gpio_v2_line_request, fd));
          P("sizeof.gpio_v2_line_event", sizeof(struct gpio_v2_line_event));
          P("offsetof.gpio_v2_line_event.id", offsetof(struct gpio_v2_line_event, id));
          P("offsetof.gpio_v2_line_event.line_seqno", offsetof(struct gpio_v2_line_event, line_seqno));
          P("ioctl.GPIO_GET_CHIPINFO_IOCTL", GPIO_GET_CHIPINFO_IOCTL);
          P("ioctl.GPIO_V2_GET_LINE_IOCTL", GPIO_V2_GET_LINE_IOCTL);
          P("ioctl.GPIO_V2_LINE_SET_CONFIG_IOCTL", GPIO_V2_LINE_SET_CONFIG_IOCTL);
          P("ioctl.GPIO_V2_LINE_GET_VALUES_IOCTL", GPIO_V2_LINE_GET_VALUES_IOCTL);
          P("ioctl.GPIO_V2_LINE_SET_VALUES_IOCTL", GPIO_V2_LINE_SET_VALUES_IOCTL);
          P("flag.GPIO_V2_LINE_FLAG_INPUT", GPIO_V2_LINE_FLAG_INPUT);
          P("flag.GPIO_V2_LINE_FLAG_OUTPUT", GPIO_V2_LINE_FLAG_OUTPUT);
          P("flag.GPIO_V2_LINE_FLAG_ACTIVE_LOW", GPIO_V2_LINE_FLAG_ACTIVE_LOW);
          P("flag.GPIO_V2_LINE_FLAG_BIAS_PULL_UP", GPIO_V2_LINE_FLAG_BIAS_PULL_UP);
          P("attr.GPIO_V2_LINE_ATTR_ID_DEBOUNCE", GPIO_V2_LINE_ATTR_ID_DEBOUNCE);
          P("attr.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES", GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES);
          return 0;
        }
        """;

    private static Dictionary<string, ulong> FromC()
    {
        string dir = Directory.CreateTempSubdirectory("rt-gpio-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "layout.c"), CProgram);
            Run("gcc", $"-o {dir}/layout {dir}/layout.c", out _);
            Run($"{dir}/layout", "", out string stdout);
            return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('='))
                .ToDictionary(p => p[0], p => ulong.Parse(p[1], CultureInfo.InvariantCulture));
        }
        finally { Directory.Delete(dir, true); }
    }

    private static void Run(string file, string args, out string stdout)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed: {stderr}");
    }

    private static ulong Off<T>(ref T s, ref byte field) where T : unmanaged =>
        (ulong)Unsafe.ByteOffset(ref Unsafe.As<T, byte>(ref s), ref field);

    [Fact]
    public void Struct_layouts_and_ioctl_numbers_match_the_kernel_header()
    {
        Assert.True(File.Exists("/usr/include/linux/gpio.h"), "linux-libc-dev's gpio.h is needed for this test");
        var c = FromC();
        foreach (var kv in c) output.WriteLine($"{kv.Key} = {kv.Value}");

        var chip = default(GpioChipInfo);
        var attr = default(GpioV2LineAttribute);
        var cattr = default(GpioV2LineConfigAttribute);
        var cfg = default(GpioV2LineConfig);
        var req = default(GpioV2LineRequest);
        var ev = default(GpioV2LineEvent);
        var actual = new Dictionary<string, ulong>
        {
            ["sizeof.gpiochip_info"] = (ulong)sizeof(GpioChipInfo),
            ["offsetof.gpiochip_info.lines"] = Off(ref chip, ref Unsafe.As<uint, byte>(ref chip.Lines)),
            ["sizeof.gpio_v2_line_values"] = (ulong)sizeof(GpioV2LineValues),
            ["sizeof.gpio_v2_line_attribute"] = (ulong)sizeof(GpioV2LineAttribute),
            ["offsetof.gpio_v2_line_attribute.flags"] = Off(ref attr, ref Unsafe.As<ulong, byte>(ref attr.Flags)),
            ["offsetof.gpio_v2_line_attribute.debounce_period_us"] = Off(ref attr, ref Unsafe.As<uint, byte>(ref attr.DebouncePeriodUs)),
            ["sizeof.gpio_v2_line_config_attribute"] = (ulong)sizeof(GpioV2LineConfigAttribute),
            ["offsetof.gpio_v2_line_config_attribute.mask"] = Off(ref cattr, ref Unsafe.As<ulong, byte>(ref cattr.Mask)),
            ["sizeof.gpio_v2_line_config"] = (ulong)sizeof(GpioV2LineConfig),
            ["offsetof.gpio_v2_line_config.num_attrs"] = Off(ref cfg, ref Unsafe.As<uint, byte>(ref cfg.NumAttrs)),
            ["offsetof.gpio_v2_line_config.attrs"] = Off(ref cfg, ref Unsafe.As<GpioV2LineConfigAttribute, byte>(ref cfg.Attrs[0])),
            ["sizeof.gpio_v2_line_request"] = (ulong)sizeof(GpioV2LineRequest),
            ["offsetof.gpio_v2_line_request.consumer"] = Off(ref req, ref req.Consumer[0]),
            ["offsetof.gpio_v2_line_request.config"] = Off(ref req, ref Unsafe.As<GpioV2LineConfig, byte>(ref req.Config)),
            ["offsetof.gpio_v2_line_request.num_lines"] = Off(ref req, ref Unsafe.As<uint, byte>(ref req.NumLines)),
            ["offsetof.gpio_v2_line_request.event_buffer_size"] = Off(ref req, ref Unsafe.As<uint, byte>(ref req.EventBufferSize)),
            ["offsetof.gpio_v2_line_request.fd"] = Off(ref req, ref Unsafe.As<int, byte>(ref req.Fd)),
            ["sizeof.gpio_v2_line_event"] = (ulong)sizeof(GpioV2LineEvent),
            ["offsetof.gpio_v2_line_event.id"] = Off(ref ev, ref Unsafe.As<uint, byte>(ref ev.Id)),
            ["offsetof.gpio_v2_line_event.line_seqno"] = Off(ref ev, ref Unsafe.As<uint, byte>(ref ev.LineSeqno)),
            ["ioctl.GPIO_GET_CHIPINFO_IOCTL"] = GpioUapi.GetChipInfo,
            ["ioctl.GPIO_V2_GET_LINE_IOCTL"] = GpioUapi.V2GetLine,
            ["ioctl.GPIO_V2_LINE_SET_CONFIG_IOCTL"] = GpioUapi.V2LineSetConfig,
            ["ioctl.GPIO_V2_LINE_GET_VALUES_IOCTL"] = GpioUapi.V2LineGetValues,
            ["ioctl.GPIO_V2_LINE_SET_VALUES_IOCTL"] = GpioUapi.V2LineSetValues,
            ["flag.GPIO_V2_LINE_FLAG_INPUT"] = (ulong)GpioV2LineFlags.Input,
            ["flag.GPIO_V2_LINE_FLAG_OUTPUT"] = (ulong)GpioV2LineFlags.Output,
            ["flag.GPIO_V2_LINE_FLAG_ACTIVE_LOW"] = (ulong)GpioV2LineFlags.ActiveLow,
            ["flag.GPIO_V2_LINE_FLAG_BIAS_PULL_UP"] = (ulong)GpioV2LineFlags.BiasPullUp,
            ["attr.GPIO_V2_LINE_ATTR_ID_DEBOUNCE"] = (ulong)GpioV2LineAttrId.Debounce,
            ["attr.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES"] = (ulong)GpioV2LineAttrId.OutputValues,
        };
        Assert.Equal(c.Count, actual.Count);
        foreach (var kv in c) Assert.True(actual[kv.Key] == kv.Value, $"{kv.Key}: C {kv.Value}, C# {actual[kv.Key]}");
    }

    [Fact]
    public void Line_request_carries_debounce_and_output_value_attributes()
    {
        var req = GpioChip.BuildRequest(17, "rt-estop", GpioV2LineFlags.Input | GpioV2LineFlags.ActiveLow, 5000, null);
        Assert.Equal(17u, req.Offsets[0]);
        Assert.Equal(1u, req.NumLines);
        Assert.Equal((byte)'r', req.Consumer[0]);
        Assert.Equal(0, req.Consumer[8]);
        Assert.Equal((ulong)(GpioV2LineFlags.Input | GpioV2LineFlags.ActiveLow), req.Config.Flags);
        Assert.Equal(1u, req.Config.NumAttrs);
        Assert.Equal((uint)GpioV2LineAttrId.Debounce, req.Config.Attrs[0].Attr.Id);
        Assert.Equal(5000u, req.Config.Attrs[0].Attr.DebouncePeriodUs);
        Assert.Equal(1ul, req.Config.Attrs[0].Mask);

        var outReq = GpioChip.BuildRequest(3, "rt-enable", GpioV2LineFlags.Output, 0, true);
        Assert.Equal(1u, outReq.Config.NumAttrs);
        Assert.Equal((uint)GpioV2LineAttrId.OutputValues, outReq.Config.Attrs[0].Attr.Id);
        Assert.Equal(1ul, outReq.Config.Attrs[0].Attr.Values);
    }

    [Fact]
    public void Missing_chip_is_refused_with_a_clear_error_naming_the_key()
    {
        var e = Assert.Throws<InputError>(() => GpioChip.Open("/dev/gpiochip99"));
        Assert.Contains("GPIO chip not found", e.Message, StringComparison.Ordinal);
        // Through the line opener a missing chip is a missing device (exit 3), still naming the key and the chip.
        var u = Assert.Throws<DeviceUnavailableException>(() => GpioLines.OpenInput("gpiochip99:4", "/etc/rt.yaml", "safety.reset_input", "rt-reset", false, 0, false));
        Assert.Equal("safety.reset_input", u.Key);
        Assert.Contains("/dev/gpiochip99", u.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Not_a_gpio_device_is_refused()
    {
        var e = Assert.Throws<InputError>(() => GpioChip.Open("/dev/null"));
        Assert.Contains("not a GPIO character device", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Line_spec_is_parsed_or_refused()
    {
        Assert.Equal(new GpioLineSpec("/dev/gpiochip0", 17), GpioLineSpec.Parse("/dev/gpiochip0:17", "c", "k"));
        Assert.Equal(new GpioLineSpec("/dev/gpiochip2", 0), GpioLineSpec.Parse("gpiochip2:0", "c", "k"));
        Assert.Equal("safety.estop_input", Assert.Throws<InputError>(() => GpioLineSpec.Parse("gpiochip0", "c", "safety.estop_input")).Location);
        Assert.Throws<InputError>(() => GpioLineSpec.Parse("gpiochip0:-1", "c", "k"));
        Assert.Throws<InputError>(() => GpioLineSpec.Parse("gpiochip0:x", "c", "k"));
    }

    [Fact]
    public void Software_debounce_needs_n_agreeing_ticks()
    {
        var raw = new EmulatedDigitalInput();
        var d = new DebouncedInput(raw, 3);
        raw.Set(true);
        Assert.False(d.Read());
        Assert.False(d.Read());
        raw.Set(false); // bounce
        Assert.False(d.Read());
        raw.Set(true);
        Assert.False(d.Read());
        Assert.False(d.Read());
        Assert.True(d.Read());
        raw.Set(false);
        Assert.True(d.Read());
    }

    [Fact]
    public void Emulated_output_records_level_and_writes()
    {
        var o = new EmulatedDigitalOutput();
        o.Write(true);
        o.Write(false);
        Assert.False(o.Level);
        Assert.Equal(2, o.Writes);
    }
}
