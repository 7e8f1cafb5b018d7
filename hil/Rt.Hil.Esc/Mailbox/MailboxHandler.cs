using System.Buffers.Binary;
using Rt.Hil.Esc.Esc;

namespace Rt.Hil.Esc.Mailbox;

/// <summary>Mailbox types (header byte 5, bits 3:0).</summary>
public static class MailboxType
{
    public const byte Error = 0, AoE = 1, EoE = 2, CoE = 3, FoE = 4, SoE = 5, VoE = 15;
}

/// <summary>Mailbox error detail codes (ETG.1000.4; SOES MBXERR_*).</summary>
public static class MailboxError
{
    public const ushort Syntax = 1, UnsupportedProtocol = 2, InvalidChannel = 3, ServiceNotSupported = 4,
        InvalidHeader = 5, SizeTooShort = 6, NoMemory = 7, InvalidSize = 8;
}

/// <summary>
/// The device firmware's mailbox over SM0 (master→slave) and SM1 (slave→master): takes each request the master
/// wrote, hands CoE to the SDO server, answers other protocols with a mailbox error (type 0), keeps the last reply
/// for the repeat request, and holds a reply back while SM1 is still full. Real-time safe (preallocated buffers).
/// </summary>
public sealed class MailboxHandler
{
    private const int HeaderLength = 6;
    private readonly EscController _esc;
    private readonly CoeSdoServer _coe;
    private readonly byte[] _reply;
    private readonly byte[] _last;
    private int _replyLength, _lastLength;
    private bool _replyPending;
    private int _counter;
    private int _lastRequestCounter = -1;
    private int _requestCounter;

    public MailboxHandler(EscController esc, CoeSdoServer coe, int mailboxSize = 128)
    {
        _esc = esc;
        _coe = coe;
        _reply = new byte[mailboxSize];
        _last = new byte[mailboxSize];
    }

    /// <summary>Requests handled so far (for tests and diagnostics).</summary>
    public long RequestsHandled { get; private set; }

    /// <summary>Forgets queued replies and the duplicate-counter memory (on INIT). Real-time safe.</summary>
    public void Reset()
    {
        _replyPending = false;
        _lastLength = 0;
        _lastRequestCounter = -1;
    }

    /// <summary>Runs after each frame: repeat requests, pending replies, then one new request. Real-time safe.</summary>
    public void Poll()
    {
        if (!_esc.SmEnabled(0) || !_esc.SmEnabled(1)) return;

        if (_esc.TakeRepeatRequest(1))
        {
            _esc.PdiRepeatMailbox(1, _last.AsSpan(0, _lastLength));
        }

        if (_replyPending && !TryPost()) return;
        if (!_esc.MailboxFull(0)) return;

        var request = _esc.SmWindow(0);
        Handle(request);
        _esc.PdiReleaseMailbox(0);
        if (_replyPending) TryPost();
    }

    private bool TryPost()
    {
        var window = _esc.SmWindow(1);
        if (_replyLength > window.Length)
        {
            _replyPending = false;
            return true; // the master configured a mailbox too small for the reply: drop it
        }

        if (!_esc.PdiWriteMailbox(1, _reply.AsSpan(0, _replyLength))) return false;
        _reply.AsSpan(0, _replyLength).CopyTo(_last);
        _lastLength = _replyLength;
        _replyPending = false;
        return true;
    }

    private void Handle(ReadOnlySpan<byte> request)
    {
        RequestsHandled++;
        int outCapacity = Math.Min(_reply.Length, _esc.SmWindow(1).Length);
        if (request.Length < HeaderLength || outCapacity < HeaderLength + 10) return;
        int length = BinaryPrimitives.ReadUInt16LittleEndian(request);
        byte typeByte = request[5];
        int type = typeByte & 0x0F;
        int counter = (typeByte >> 4) & 0x07;
        _requestCounter = counter;

        if (length > request.Length - HeaderLength)
        {
            Error(MailboxError.InvalidSize);
            return;
        }

        // A repeated counter (1..7) means the master re-sent a request we already handled.
        if (counter != 0 && counter == _lastRequestCounter) return;
        _lastRequestCounter = counter;

        if (type != MailboxType.CoE)
        {
            Error(MailboxError.UnsupportedProtocol);
            return;
        }

        if (length < 2)
        {
            Error(MailboxError.SizeTooShort);
            return;
        }

        var body = _reply.AsSpan(HeaderLength, outCapacity - HeaderLength);
        int n = _coe.Handle(request.Slice(HeaderLength, length), body);
        if (n < 0)
        {
            Error(MailboxError.ServiceNotSupported);
            return;
        }

        if (n > 0) Queue(MailboxType.CoE, n);
    }

    private void Error(ushort detail)
    {
        var body = _reply.AsSpan(HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(body, 0x0001); // type: mailbox command
        BinaryPrimitives.WriteUInt16LittleEndian(body.Slice(2), detail);
        Queue(MailboxType.Error, 4);
    }

    private void Queue(byte type, int bodyLength)
    {
        // Echo the request's counter (ethercrab checks it; SOEM and IgH ignore it); a request without a counter
        // gets the slave's own sequence 1..7.
        _counter = _requestCounter > 0 ? _requestCounter : _counter % 7 + 1;
        BinaryPrimitives.WriteUInt16LittleEndian(_reply, (ushort)bodyLength);
        BinaryPrimitives.WriteUInt16LittleEndian(_reply.AsSpan(2), 0);
        _reply[4] = 0;
        _reply[5] = (byte)(type | (_counter << 4));
        _replyLength = HeaderLength + bodyLength;
        _replyPending = true;
    }
}
