using System.Buffers.Binary;
using Rt.Drivers.EtherCat.Frame;

namespace Rt.Drivers.EtherCat.Transport;

// Register helpers for bring-up: each sends one datagram, checks the working counter and throws EtherCatException
// naming the slave and register when the bus does not answer as expected. Not real-time safe.
public sealed partial class EtherCatTransport
{
    /// <summary>Broadcast read; returns the working counter (= number of slaves that answered). ORed data in <paramref name="data"/>.</summary>
    public int Broadcast(EtherCatCommand command, ushort register, Span<byte> data)
    {
        var r = Execute(command, EtherCatCommands.Physical(0, register), data);
        if (!r.Received) throw Lost(command, "broadcast", register);
        return r.WorkingCounter;
    }

    /// <summary>Configured-address read of <paramref name="data"/>.Length bytes; expects WKC 1.</summary>
    public void Read(ushort station, ushort register, Span<byte> data) =>
        Check(EtherCatCommand.Fprd, EtherCatCommands.Physical(station, register), data, 1, $"station 0x{station:X4}", register);

    /// <summary>Configured-address write; expects WKC 1.</summary>
    public void Write(ushort station, ushort register, ReadOnlySpan<byte> data)
    {
        Span<byte> buffer = stackalloc byte[data.Length];
        data.CopyTo(buffer);
        Check(EtherCatCommand.Fpwr, EtherCatCommands.Physical(station, register), buffer, 1, $"station 0x{station:X4}", register);
    }

    /// <summary>Auto-increment write to bus position <paramref name="position"/>; expects WKC 1.</summary>
    public void WriteAt(int position, ushort register, ReadOnlySpan<byte> data)
    {
        Span<byte> buffer = stackalloc byte[data.Length];
        data.CopyTo(buffer);
        Check(EtherCatCommand.Apwr, EtherCatCommands.AutoIncrement(position, register), buffer, 1, $"position {position}", register);
    }

    /// <summary>Auto-increment read from bus position <paramref name="position"/>; expects WKC 1.</summary>
    public void ReadAt(int position, ushort register, Span<byte> data) =>
        Check(EtherCatCommand.Aprd, EtherCatCommands.AutoIncrement(position, register), data, 1, $"position {position}", register);

    public ushort ReadU16(ushort station, ushort register)
    {
        Span<byte> b = stackalloc byte[2];
        Read(station, register, b);
        return BinaryPrimitives.ReadUInt16LittleEndian(b);
    }

    public uint ReadU32(ushort station, ushort register)
    {
        Span<byte> b = stackalloc byte[4];
        Read(station, register, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    public ulong ReadU64(ushort station, ushort register)
    {
        Span<byte> b = stackalloc byte[8];
        Read(station, register, b);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    public void WriteU8(ushort station, ushort register, byte value) => Write(station, register, [value]);

    public void WriteU16(ushort station, ushort register, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        Write(station, register, b);
    }

    public void WriteU32(ushort station, ushort register, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        Write(station, register, b);
    }

    public void WriteU64(ushort station, ushort register, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        Write(station, register, b);
    }

    private void Check(EtherCatCommand command, uint address, Span<byte> data, int expectedWkc, string who, ushort register)
    {
        var r = Execute(command, address, data);
        if (!r.Received) throw Lost(command, who, register);
        if (r.WorkingCounter != expectedWkc)
            throw new EtherCatException(BusErrorKind.DeviceRefused,
                $"{EtherCatCommands.Mnemonic(command)} {who} register 0x{register:X4}: working counter {r.WorkingCounter}, expected {expectedWkc}");
    }

    private EtherCatException Lost(EtherCatCommand command, string who, ushort register) =>
        new(Link.IsUp ? BusErrorKind.Timeout : BusErrorKind.LinkDown, Link.IsUp
            ? $"{EtherCatCommands.Mnemonic(command)} {who} register 0x{register:X4}: no reply after {Options.Retries} attempts of {Options.ReplyTimeoutNs / 1e6:0.###} ms"
            : $"{EtherCatCommands.Mnemonic(command)} {who} register 0x{register:X4}: link is down");
}
