using System.Buffers.Binary;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.Link;

namespace Rt.Fuzz.Targets;

/// <summary>
/// One slave whose SM1 (slave → master mailbox) contents come from a script, so the fuzzer writes the mailbox replies
/// the master decodes. Script: per mailbox read, a control byte (bit 0: this read is lost, WKC 0, which starts the
/// repeat-request handshake; bit 1: the repeat request is not acknowledged), a length byte L, then L bytes copied to
/// the start of SM1 (the rest is zero). When the script runs out SM1 holds zeros: a zero-length mailbox error message.
/// SM0 is always empty and accepts every write. Not real-time safe (test double).
/// </summary>
internal sealed class ScriptedMailboxSlave : IEtherCatSegment
{
    public const ushort Station = 0x1001;
    public const ushort OutStart = 0x1000;
    public const ushort InStart = 0x1080;
    private const ushort Sm0Status = 0x0805, Sm1Status = 0x080D, Sm1Activate = 0x080E;
    private readonly byte[] _script;
    private readonly Datagram[] _datagrams = new Datagram[8];
    private int _at;
    private byte _activate;
    private byte _pdiControl;
    private bool _ackRepeat = true;

    public ScriptedMailboxSlave(byte[] script, int start)
    {
        _script = script;
        _at = start;
    }

    /// <summary>Mailbox reads served so far.</summary>
    public int Reads { get; private set; }

    public int Process(Span<byte> frame, int length)
    {
        if (FrameReader.TryDecode(frame[..length], _datagrams, out int count).IsError) return 0;
        for (int i = 0; i < count; i++)
        {
            var d = _datagrams[i];
            var data = frame.Slice(d.DataOffset, d.DataLength);
            ushort wkc = d.Adp == Station ? Serve(d.Command, d.Ado, data) : (ushort)0;
            BinaryPrimitives.WriteUInt16LittleEndian(frame.Slice(d.WorkingCounterOffset, 2), (ushort)(d.WorkingCounter + wkc));
        }
        frame[6] |= 0x02; // processed by a slave: the master takes only such frames as replies
        return length;
    }

    private ushort Serve(EtherCatCommand command, ushort address, Span<byte> data)
    {
        switch (command)
        {
            case EtherCatCommand.Fprd when address == Sm0Status && data.Length > 0:
                data[0] = 0x00; // SM0 empty: the master may write
                return 1;
            case EtherCatCommand.Fprd when address == Sm1Status && data.Length > 0:
                data[0] = 0x08; // SM1 full: a reply is waiting
                return 1;
            case EtherCatCommand.Fpwr when address == OutStart:
                return 1;
            case EtherCatCommand.Fprd when address == InStart:
                return ReadSm1(data);
            case EtherCatCommand.Fprd when address == Sm1Activate && data.Length >= 2:
                data[0] = _activate;
                data[1] = _pdiControl;
                return 1;
            case EtherCatCommand.Fpwr when address == Sm1Activate && data.Length >= 1:
                _activate = data[0];
                if (_ackRepeat) _pdiControl = (byte)(data[0] & 0x02);
                return 1;
            default:
                return 0;
        }
    }

    private ushort ReadSm1(Span<byte> data)
    {
        Reads++;
        data.Clear();
        if (_at >= _script.Length) return 1;
        byte control = _script[_at++];
        int n = _at < _script.Length ? _script[_at++] : 0;
        n = Math.Min(n, _script.Length - _at);
        _script.AsSpan(_at, Math.Min(n, data.Length)).CopyTo(data);
        _at += n;
        _ackRepeat = (control & 0x02) == 0;
        return (control & 0x01) != 0 ? (ushort)0 : (ushort)1;
    }
}
