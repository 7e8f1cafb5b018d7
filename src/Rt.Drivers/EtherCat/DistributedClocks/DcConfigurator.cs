using System.Buffers.Binary;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.SubDevices;
using Rt.Drivers.EtherCat.Transport;

namespace Rt.Drivers.EtherCat.DistributedClocks;

/// <summary>Measured DC timing of one slave.</summary>
public readonly record struct DcSlaveTiming(int Position, ushort Station, uint Port0Ns, uint Port1Ns, ulong ProcessingUnitNs, long DownstreamLoopNs, long PropagationDelayNs, long OffsetNs, int SystemTimeDifferenceNs);

/// <summary>What DC configuration measured and wrote, for `rt scan`/logs.</summary>
public sealed record DcReport(int ReferencePosition, ushort ReferenceStation, long CycleNs, ulong Sync0StartNs, IReadOnlyList<DcSlaveTiming> Slaves, int StaticDriftFrames)
{
    public override string ToString()
    {
        var lines = new System.Text.StringBuilder();
        lines.Append(System.Globalization.CultureInfo.InvariantCulture, $"DC reference clock: position {ReferencePosition} (station 0x{ReferenceStation:X4}), SYNC0 every {CycleNs} ns from {Sync0StartNs} ns, {StaticDriftFrames} drift frames\n");
        foreach (var s in Slaves)
            lines.Append(System.Globalization.CultureInfo.InvariantCulture, $"  position {s.Position}: delay {s.PropagationDelayNs} ns, offset {s.OffsetNs} ns, downstream loop {s.DownstreamLoopNs} ns, system time difference {s.SystemTimeDifferenceNs} ns\n");
        return lines.ToString();
    }
}

/// <summary>
/// Distributed-clocks bring-up for a line topology (port 0 in, port 1 out), after ETG.1020 / the ESC datasheet
/// section I "Distributed Clocks" and SOEM ec_dc.c: latch receive times on all ports (BWR 0x0900), read port times
/// (0x0900–0x090C) and the processing-unit receive time (0x0918), compute each slave's propagation delay from the
/// reference clock (the first DC slave) from the loop times behind each slave, write system time delay (0x0928) and
/// offset (0x0920), compensate static drift with repeated ARMW on 0x0910, then program SYNC0 (0x0980/0x09A0/0x0990/0x0981).
/// Maths in docs/ETHERCAT-NOTES.md. Not real-time safe.
/// </summary>
public static class DcConfigurator
{
    public static DcReport? Configure(EtherCatTransport bus, IReadOnlyList<SubDevice> slaves, long masterTimeNs, long cycleNs, int driftFrames, long startLeadNs)
    {
        var dc = new List<SubDevice>();
        foreach (var s in slaves) if (s.SupportsDc) dc.Add(s);
        if (dc.Count == 0) return null;
        var reference = dc[0];

        Span<byte> latch = stackalloc byte[4];
        latch.Clear();
        bus.Broadcast(EtherCatCommand.Bwr, EscRegister.DcReceiveTimePort0, latch);

        var port0 = new uint[dc.Count];
        var port1 = new uint[dc.Count];
        var pu = new ulong[dc.Count];
        Span<byte> times = stackalloc byte[16]; // receive times of ports 0..3, u32 each
        for (int i = 0; i < dc.Count; i++)
        {
            bus.Read(dc[i].StationAddress, EscRegister.DcReceiveTimePort0, times);
            port0[i] = BinaryPrimitives.ReadUInt32LittleEndian(times);
            port1[i] = BinaryPrimitives.ReadUInt32LittleEndian(times[(EscRegister.DcReceiveTimePort1 - EscRegister.DcReceiveTimePort0)..]);
            pu[i] = bus.ReadU64(dc[i].StationAddress, EscRegister.DcReceiveTimeProcessingUnit);
        }

        // Loop time behind slave i: the frame left through port 1 and came back into port 1. 32-bit wrap-safe difference.
        // A slave whose port 1 is closed (end of the line) has nothing behind it.
        var loop = new long[dc.Count];
        for (int i = 0; i < dc.Count; i++)
        {
            bool hasNext = i + 1 < dc.Count;
            loop[i] = hasNext ? unchecked((int)(port1[i] - port0[i])) : 0;
            if (loop[i] < 0) loop[i] = 0;
        }
        var delay = new long[dc.Count];
        for (int i = 1; i < dc.Count; i++) delay[i] = delay[i - 1] + (loop[i - 1] - loop[i]) / 2;

        var timings = new List<DcSlaveTiming>(dc.Count);
        for (int i = 0; i < dc.Count; i++)
        {
            // System time at the latch instant should read master time (+ the delay for slaves further down the line).
            long offset = unchecked(masterTimeNs + delay[i] - (long)pu[i]);
            bus.WriteU64(dc[i].StationAddress, EscRegister.DcSystemTimeOffset, unchecked((ulong)offset));
            bus.WriteU32(dc[i].StationAddress, EscRegister.DcSystemTimeDelay, (uint)delay[i]);
            dc[i].PropagationDelayNs = delay[i];
            dc[i].SystemTimeOffsetNs = offset;
            dc[i].DownstreamLoopNs = loop[i];
        }

        // Static drift: the reference's system time, read and written to all others by ARMW, many times.
        Span<byte> time = stackalloc byte[8];
        for (int k = 0; k < driftFrames; k++)
        {
            time.Clear();
            bus.Execute(EtherCatCommand.Armw, EtherCatCommands.AutoIncrement(reference.Position, EscRegister.DcSystemTime), time);
        }

        for (int i = 0; i < dc.Count; i++)
        {
            uint diff = bus.ReadU32(dc[i].StationAddress, EscRegister.DcSystemTimeDifference);
            int signed = (diff & 0x8000_0000) != 0 ? -(int)(diff & 0x7FFF_FFFF) : (int)diff; // bit 31: local copy is smaller
            timings.Add(new DcSlaveTiming(dc[i].Position, dc[i].StationAddress, port0[i], port1[i], pu[i], loop[i], delay[i], dc[i].SystemTimeOffsetNs, signed));
        }

        ulong now = bus.ReadU64(reference.StationAddress, EscRegister.DcSystemTime);
        ulong cycle = (ulong)Math.Max(1, cycleNs);
        ulong start = ((now + (ulong)Math.Max(0, startLeadNs)) / cycle + 1) * cycle;
        foreach (var s in dc)
        {
            bus.WriteU8(s.StationAddress, EscRegister.DcActivation, 0);
            bus.WriteU8(s.StationAddress, EscRegister.DcCyclicUnitControl, 0);
            bus.WriteU32(s.StationAddress, EscRegister.DcSync0Cycle, (uint)cycleNs);
            bus.WriteU64(s.StationAddress, EscRegister.DcStartTime, start);
            bus.WriteU8(s.StationAddress, EscRegister.DcActivation, 0x03); // cyclic operation + SYNC0
        }
        return new DcReport(reference.Position, reference.StationAddress, cycleNs, start, timings, driftFrames);
    }
}
