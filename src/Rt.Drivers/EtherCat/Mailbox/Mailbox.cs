using System.Buffers.Binary;
using Rt.Core.Time;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.Transport;

namespace Rt.Drivers.EtherCat.Mailbox;

/// <summary>Mailbox types (4-bit type in the mailbox header; ETG.1000.6 / ESC datasheet I "Mailbox header").</summary>
public enum MailboxType : byte
{
    Error = 0,
    AoE = 1,
    EoE = 2,
    CoE = 3,
    FoE = 4,
    SoE = 5,
    VoE = 0xF,
}

/// <summary>
/// The mailbox of one slave: SM0 (master → slave) and SM1 (slave → master) in ESC memory, reached with FPRD/FPWR.
/// Sending waits for SM0 to be empty (status 0x0805 bit 3 clear) and writes the whole SM length; receiving polls SM1
/// full (0x080D bit 3) and reads the whole SM length. A read that fails after "full" triggers the repeat-request
/// handshake (toggle 0x080E bit 1, wait for 0x080F bit 1 to follow). The 3-bit counter cycles 1..7 (0 is reserved).
/// Timeouts are durations on the bus's clock (<see cref="EtherCatTransport.Clock"/>). Not real-time safe.
/// </summary>
public sealed class SlaveMailbox
{
    /// <summary>Mailbox header length: length u16, address u16, channel/priority u8, type/counter u8.</summary>
    public const int HeaderLength = MailboxHeader.Size;
    private const byte StatusMailboxFull = 0x08;
    private const byte RepeatBit = 0x02;
    private readonly EtherCatTransport _bus;
    private readonly byte[] _out;
    private readonly byte[] _in;
    private byte _counter;

    public SlaveMailbox(EtherCatTransport bus, int position, ushort station, ushort outStart, ushort outLength, ushort inStart, ushort inLength, long timeoutNs = 1_000_000_000)
    {
        if (outLength < HeaderLength + 2 || inLength < HeaderLength + 2)
            throw new EtherCatException($"slave at position {position}: mailbox too small (out {outLength}, in {inLength} bytes)");
        _bus = bus;
        Position = position;
        Station = station;
        OutStart = outStart;
        InStart = inStart;
        _out = new byte[outLength];
        _in = new byte[inLength];
        TimeoutNs = timeoutNs;
        _clock = bus.Clock;
    }

    private readonly IMonotonicClock _clock;

    public int Position { get; }
    public ushort Station { get; }
    public ushort OutStart { get; }
    public ushort InStart { get; }
    public int OutLength => _out.Length;
    public int InLength => _in.Length;

    /// <summary>How long a mailbox transfer (SM0 to empty, a reply in SM1, a repeat acknowledge) may take.</summary>
    public long TimeoutNs { get; set; }

    /// <summary>Repeat requests issued so far.</summary>
    public int RepeatRequests { get; private set; }

    /// <summary>Next counter value 1..7 (the counter wraps from 7 to 1; 0 is reserved for "no counter").</summary>
    public byte NextCounter()
    {
        _counter = (byte)(_counter % 7 + 1);
        return _counter;
    }

    /// <summary>Writes a mailbox header at the start of <paramref name="message"/>.</summary>
    public static void WriteHeader(Span<byte> message, int payloadLength, MailboxType type, byte counter, ushort address = 0, byte channel = 0)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(message[MailboxHeader.Length..], (ushort)payloadLength);
        BinaryPrimitives.WriteUInt16LittleEndian(message[MailboxHeader.Address..], address);
        message[MailboxHeader.Channel] = channel;
        message[MailboxHeader.TypeCounter] = (byte)(((byte)type & MailboxHeader.TypeMask) | ((counter & MailboxHeader.CounterMask) << MailboxHeader.CounterShift));
    }

    /// <summary>Sends <paramref name="payload"/> (without header) as a mailbox message of <paramref name="type"/>.</summary>
    public void Send(MailboxType type, ReadOnlySpan<byte> payload)
    {
        if (payload.Length + HeaderLength > _out.Length)
            throw new EtherCatException($"slave at position {Position}: mailbox message of {payload.Length} bytes exceeds SM0 ({_out.Length} bytes)");
        Array.Clear(_out);
        WriteHeader(_out, payload.Length, type, NextCounter());
        payload.CopyTo(_out.AsSpan(HeaderLength));
        ushort smStatus = (ushort)(EscRegister.SyncManager(0) + SyncManagerRegisters.Status);
        Span<byte> status = stackalloc byte[1];
        long deadline = _clock.NowNs + TimeoutNs;
        while (_clock.NowNs < deadline)
        {
            _bus.Read(Station, smStatus, status);
            if ((status[0] & StatusMailboxFull) != 0) continue;
            var r = _bus.Execute(EtherCatCommand.Fpwr, EtherCatCommands.Physical(Station, OutStart), _out);
            if (r.Received && r.WorkingCounter == 1) return;
        }
        throw new EtherCatException($"slave at position {Position}: mailbox SM0 stays full, message not accepted within {TimeoutNs / 1e6:0.###} ms (timeout)");
    }

    /// <summary>
    /// Waits for a message in SM1 and returns its payload (header stripped) plus its type. Throws on timeout.
    /// The returned span is valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> Receive(out MailboxType type)
    {
        ushort smStatus = (ushort)(EscRegister.SyncManager(1) + SyncManagerRegisters.Status);
        Span<byte> status = stackalloc byte[1];
        long deadline = _clock.NowNs + TimeoutNs;
        while (_clock.NowNs < deadline)
        {
            _bus.Read(Station, smStatus, status);
            if ((status[0] & StatusMailboxFull) == 0) continue;
            var r = _bus.Execute(EtherCatCommand.Fprd, EtherCatCommands.Physical(Station, InStart), _in);
            if (!r.Received || r.WorkingCounter != 1)
            {
                // The reply was lost (or read by nobody): ask the slave to put its last message back into SM1.
                RepeatRequest();
                continue;
            }
            int length = BinaryPrimitives.ReadUInt16LittleEndian(_in.AsSpan(MailboxHeader.Length));
            if (length > _in.Length - HeaderLength)
                throw new EtherCatException($"slave at position {Position}: mailbox header announces {length} bytes, SM1 holds {_in.Length - HeaderLength}");
            type = (MailboxType)(_in[MailboxHeader.TypeCounter] & MailboxHeader.TypeMask);
            return _in.AsSpan(HeaderLength, length);
        }
        throw new EtherCatException($"slave at position {Position}: no mailbox reply within {TimeoutNs / 1e6:0.###} ms (timeout)");
    }

    /// <summary>Repeat-request handshake: toggle SM1 activate bit 1 (0x080E) and wait for PDI control bit 1 (0x080F) to follow.</summary>
    public void RepeatRequest()
    {
        RepeatRequests++;
        ushort activate = (ushort)(EscRegister.SyncManager(1) + SyncManagerRegisters.Activate);
        Span<byte> b = stackalloc byte[2]; // activate, PDI control
        _bus.Read(Station, activate, b);
        byte want = (byte)((b[0] ^ RepeatBit) & RepeatBit);
        _bus.Write(Station, activate, [(byte)(b[0] ^ RepeatBit)]);
        long deadline = _clock.NowNs + TimeoutNs;
        while (_clock.NowNs < deadline)
        {
            _bus.Read(Station, activate, b);
            if ((b[SyncManagerRegisters.PdiControl - SyncManagerRegisters.Activate] & RepeatBit) == want) return;
        }
        throw new EtherCatException($"slave at position {Position}: mailbox repeat request not acknowledged within {TimeoutNs / 1e6:0.###} ms");
    }

    /// <summary>Reads and discards a message left in SM1 (e.g. from an earlier session). Returns whether one was there.</summary>
    public bool Flush()
    {
        Span<byte> status = stackalloc byte[1];
        _bus.Read(Station, (ushort)(EscRegister.SyncManager(1) + SyncManagerRegisters.Status), status);
        if ((status[0] & StatusMailboxFull) == 0) return false;
        _bus.Execute(EtherCatCommand.Fprd, EtherCatCommands.Physical(Station, InStart), _in);
        return true;
    }

    /// <summary>Meaning of a mailbox error reply's detail code (type 0; ETG.1000.6 / SOES MBXERR_*).</summary>
    public static string ErrorName(ushort detail) => detail switch
    {
        1 => "syntax error",
        2 => "unsupported protocol",
        3 => "invalid channel",
        4 => "service not supported",
        5 => "invalid header",
        6 => "size too short",
        7 => "no more memory",
        8 => "invalid size",
        _ => "unknown mailbox error",
    };
}
