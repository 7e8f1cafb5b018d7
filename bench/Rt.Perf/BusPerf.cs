using System.Diagnostics;
using System.Globalization;
using Rt.Core.Config;
using Rt.Core.ProcessData;
using Rt.Core.Tick;
using Rt.Drivers.EtherCat;
using Rt.Drivers.Cia402;
using Rt.Drivers.EtherCat.Devices;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Transport;

namespace Rt.Perf;

/// <summary>
/// The cyclic frame's CPU work without a bus: encode every drive's outputs into an LRW(+FRMW+BRD+FPRD) frame, decode the
/// frame, decode every drive's and IMU's inputs. Used by the BenchmarkDotNet benchmark and by `rt bench bus`.
/// Construction: not real-time safe. <see cref="EncodeDecode"/>: real-time safe.
/// </summary>
public sealed class CyclicCodecWorkload
{
    private readonly Cia402Codec _drive = new(BenchMappings.DriveRx(), BenchMappings.DriveTx(), "bench drive");
    private readonly ImuPdoCodec _imu = new(BenchMappings.ImuTx(), "bench IMU");
    private readonly byte[] _frame = new byte[FrameLayout.MaximumFrameLength];
    private readonly Datagram[] _decoded = new Datagram[8];
    private readonly byte[] _mac = [2, 0, 0, 0, 0, 1];
    private readonly int _drives, _imus;
    private const int DriveOut = 25, DriveIn = 15, ImuIn = 32;

    public CyclicCodecWorkload(int drives = 12, int imus = 3)
    {
        _drives = drives;
        _imus = imus;
        Image = new ProcessImage(drives, imus);
        for (int j = 0; j < drives; j++) Image.Outputs[j] = new DriveOutputs { Controlword = 0x0F, ModeOfOperation = 8, TargetPosition = 1000 * j };
    }

    public ProcessImage Image { get; }

    /// <summary>LRW data bytes (outputs then inputs).</summary>
    public int ImageBytes => _drives * (DriveOut + DriveIn) + _imus * ImuIn;

    /// <summary>Encodes, frames, decodes; returns the LRW working counter read back (0 here: nothing on the wire). Real-time safe.</summary>
    public int EncodeDecode()
    {
        var w = new FrameWriter(_frame, _mac);
        w.TryAppend(EtherCatCommand.Lrw, 1, 0x10000, ImageBytes, out var lrw, out _);
        int o = 0;
        for (int j = 0; j < _drives; j++, o += DriveOut) _drive.Encode(in Image.Outputs[j], lrw.Slice(o, DriveOut));
        w.TryAppend(EtherCatCommand.Frmw, 1, EtherCatCommands.Physical(0x1001, EscRegister.DcSystemTime), 8, out _, out _);
        w.TryAppend(EtherCatCommand.Brd, 1, EtherCatCommands.Physical(0, EscRegister.AlStatus), 2, out _, out _);
        w.TryAppend(EtherCatCommand.Fprd, 1, EtherCatCommands.Physical(0x1001, EscRegister.AlStatus), 2, out _, out _);
        int length = w.Finish();
        var frame = _frame.AsSpan(0, length);
        if (FrameReader.TryDecode(frame, _decoded, out _).IsError) return -1;
        var data = _decoded[0].Data(frame);
        int i = _drives * DriveOut;
        var inputs = Image.Inputs;
        for (int j = 0; j < _drives; j++, i += DriveIn) _drive.Decode(data.Slice(i, DriveIn), ref inputs[j]);
        var imus = Image.Imus;
        for (int k = 0; k < _imus; k++, i += ImuIn) _imu.Decode(data.Slice(i, ImuIn), ref imus[k]);
        return _decoded[0].WorkingCounter;
    }
}

/// <summary>
/// Figures for `rt bench bus`: each method measures with a Stopwatch loop and prints `name: value unit` lines.
/// Not real-time safe (benchmark harness).
/// </summary>
public static class BusPerf
{
    /// <summary>Median time of one encode+decode of the cyclic frame for <paramref name="drives"/> drives + <paramref name="imus"/> IMUs.</summary>
    public static double EncodeDecode(TextWriter output, int drives = 12, int imus = 3, int samples = 2001, int innerLoop = 100)
    {
        var work = new CyclicCodecWorkload(drives, imus);
        // Warm up long enough for tiered JIT to reach optimized code (tier 1 compiles in the background).
        long warm = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warm).TotalMilliseconds < 500)
            for (int i = 0; i < 1000; i++) work.EncodeDecode();
        var ns = new double[samples];
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        for (int s = 0; s < samples; s++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < innerLoop; i++) work.EncodeDecode();
            ns[s] = Stopwatch.GetElapsedTime(t0).TotalNanoseconds / innerLoop;
        }
        long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
        Array.Sort(ns);
        double median = ns[samples / 2];
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"bus.frame.encode_decode.median ({drives} drives + {imus} IMUs, {work.ImageBytes} B image): {median:F0} ns"));
        output.WriteLine(string.Create(c, $"bus.frame.encode_decode.p99: {ns[(int)(samples * 0.99)]:F0} ns"));
        output.WriteLine(string.Create(c, $"bus.frame.encode_decode.allocated: {alloc} bytes"));
        return median;
    }

    /// <summary>Median bring-up time (INIT → OP) over fresh links from <paramref name="linkFactory"/>.</summary>
    public static double BringUp(TextWriter output, Func<IEthernetLink> linkFactory, IReadOnlyList<SlaveIdentityConfig>? expected, MasterOptions? options = null, int repetitions = 5, long cycleNs = 1_000_000)
    {
        var ms = new double[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            using var link = linkFactory();
            var master = new EtherCatMaster(link, options);
            long t0 = Stopwatch.GetTimestamp();
            master.BringUp(expected, 0, cycleNs);
            ms[r] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(ms);
        double median = ms[repetitions / 2];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bus.bringup.median ({repetitions} runs): {median:F1} ms"));
        return median;
    }

    /// <summary>Round-trip time of <paramref name="cycles"/> process-data exchanges (send, wait, decode) over the fieldbus's link.</summary>
    public static (double MedianUs, double P99Us, double MaxUs) RoundTrip(TextWriter output, EtherCatFieldbus fieldbus, TickState state, int cycles = 10_000)
    {
        for (int i = 0; i < Math.Min(1000, cycles); i++)
        {
            state.Faults.Clear();
            fieldbus.Exchange(state);
        }
        var us = new double[cycles];
        int faults = 0;
        for (int i = 0; i < cycles; i++)
        {
            state.Faults.Clear();
            long t0 = Stopwatch.GetTimestamp();
            fieldbus.Exchange(state);
            us[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
            faults += state.Faults.Count;
        }
        Array.Sort(us);
        var c = CultureInfo.InvariantCulture;
        double median = us[cycles / 2], p99 = us[(int)(cycles * 0.99)], max = us[^1];
        output.WriteLine(string.Create(c, $"bus.roundtrip.median: {median:F1} us"));
        output.WriteLine(string.Create(c, $"bus.roundtrip.p99: {p99:F1} us"));
        output.WriteLine(string.Create(c, $"bus.roundtrip.max: {max:F1} us"));
        output.WriteLine(string.Create(c, $"bus.roundtrip.faults: {faults} count"));
        output.WriteLine(string.Create(c, $"bus.roundtrip.stale_dropped: {fieldbus.StaleFramesDropped} count"));
        return (median, p99, max);
    }
}
