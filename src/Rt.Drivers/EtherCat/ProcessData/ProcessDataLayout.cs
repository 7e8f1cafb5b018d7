namespace Rt.Drivers.EtherCat.ProcessData;

/// <summary>
/// The cyclic logical image: all slaves' outputs first (bus order), then all inputs, starting at logical address
/// <see cref="LogicalStart"/>, exchanged by one LRW. The expected working counter is computed here, at prepare time:
/// every slave with outputs adds 2 (LRW write part), every slave with inputs adds 1 (read part) — see
/// docs/ETHERCAT-NOTES.md. Immutable; real-time safe to read.
/// </summary>
public sealed class ProcessDataLayout
{
    public ProcessDataLayout(uint logicalStart, int outputBytes, int inputBytes, int outputSlaves, int inputSlaves)
    {
        LogicalStart = logicalStart;
        OutputBytes = outputBytes;
        InputBytes = inputBytes;
        OutputSlaves = outputSlaves;
        InputSlaves = inputSlaves;
    }

    public uint LogicalStart { get; }
    public int OutputBytes { get; }
    public int InputBytes { get; }
    public int TotalBytes => OutputBytes + InputBytes;
    public int OutputSlaves { get; }
    public int InputSlaves { get; }

    /// <summary>LRW working counter when every slave took part: outputs-slaves × 2 + inputs-slaves.</summary>
    public int ExpectedWorkingCounter => OutputSlaves * 2 + InputSlaves;
}
