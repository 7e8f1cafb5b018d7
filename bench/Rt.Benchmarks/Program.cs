using BenchmarkDotNet.Running;

namespace Rt.Benchmarks;

/// <summary>
/// Micro-benchmarks (BenchmarkDotNet). Run all: <c>dotnet run -c Release --project bench/Rt.Benchmarks -- --filter '*'</c>;
/// one class: <c>--filter '*Histogram*'</c>. System-level figures are <c>rt bench &lt;name&gt;</c>.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
