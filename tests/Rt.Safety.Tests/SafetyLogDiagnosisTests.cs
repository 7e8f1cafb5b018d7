using System.Buffers.Binary;
using Rt.Core.Faults;
using Rt.Core.Tick;

namespace Rt.Safety.Tests;

/// <summary>The safety log keeps the isolated cause of an event (payload v3) and still reads v1 records.</summary>
public class SafetyLogDiagnosisTests
{
    private static readonly SafetyEvent Sample = new(7, 70, 70_000_000, SafetyState.Operational, SafetyState.Holding, FaultCode.Collision, 3,
        StopCategory.Cat2, 41.5, 30, new FaultDiagnosis(FaultClass.Collision, FaultSite.Link, 3, -1, DetectionTest.Limit));

    [Fact]
    public void A_v3_record_round_trips_the_diagnosis()
    {
        var bytes = new byte[SafetyLogFormat.RecordLength];
        SafetyLogFormat.Encode(Sample, 123, bytes);
        var c = ReadBack(bytes);
        Assert.Single(c.Records);
        Assert.Equal(Sample, c.Records[0].Event);
    }

    [Fact]
    public void A_v1_record_still_reads_with_no_diagnosis()
    {
        // v1: the first 56 payload bytes of v3 with version 1 and its own length and CRC.
        var v3 = new byte[SafetyLogFormat.RecordLength];
        SafetyLogFormat.Encode(Sample, 123, v3);
        var v1 = new byte[4 + 2 + SafetyLogFormat.Version1PayloadLength + 4];
        v3.AsSpan(0, 6 + SafetyLogFormat.Version1PayloadLength).CopyTo(v1);
        BinaryPrimitives.WriteUInt16LittleEndian(v1.AsSpan(4), SafetyLogFormat.Version1PayloadLength);
        v1[6] = SafetyLogFormat.Version1;
        BinaryPrimitives.WriteUInt32LittleEndian(v1.AsSpan(6 + SafetyLogFormat.Version1PayloadLength),
            Crc32.Compute(v1.AsSpan(4, 2 + SafetyLogFormat.Version1PayloadLength)));
        var c = ReadBack(v1);
        Assert.Single(c.Records);
        Assert.Equal(Sample with { Diagnosis = default }, c.Records[0].Event);
        Assert.Empty(c.Damage);
    }

    private static SafetyLogContents ReadBack(byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"rt-diag-{Guid.NewGuid():N}.log");
        try
        {
            File.WriteAllBytes(path, bytes);
            return SafetyLogReader.Read(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
