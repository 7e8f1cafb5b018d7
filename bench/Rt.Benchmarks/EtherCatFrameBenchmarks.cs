using BenchmarkDotNet.Attributes;
using Rt.Drivers.EtherCat;
using Rt.Perf;

namespace Rt.Benchmarks;

/// <summary>
/// The cyclic EtherCAT frame for the biped bench (12 drives + 3 IMUs): encode outputs, build LRW+FRMW+BRD+FPRD, decode the
/// frame and every device's inputs. Run: <c>dotnet run -c Release --project bench/Rt.Benchmarks -- --filter '*EtherCatFrame*'</c>.
/// </summary>
[MemoryDiagnoser]
public class EtherCatFrameBenchmarks
{
    private readonly CyclicCodecWorkload _work = new(12, 3);

    [Benchmark]
    public int EncodeDecode12Drives3Imus() => _work.EncodeDecode();
}
