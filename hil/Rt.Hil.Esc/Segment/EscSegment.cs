using System.Buffers.Binary;
using Rt.Core.Time;
using Rt.Drivers.EtherCat.Link;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Esc;

namespace Rt.Hil.Esc.Segment;

/// <summary>
/// A line of emulated slaves as an Ethernet frame sees it: the frame enters port 0 of slave 0, each datagram is
/// processed by slave 0, 1, … in turn (addressing, working counter, FMMUs, SyncManagers), and the frame returns with
/// bit 0x02 of the first source-MAC byte set. Frames that are not EtherCAT (EtherType 0x88A4, optionally VLAN-tagged;
/// EtherCAT header type 1) are dropped; malformed frames are dropped and counted, never thrown on.
/// Construction is not real-time safe; <see cref="Process"/> and the time setters are (no allocation, no locks).
/// </summary>
public sealed class EscSegment : IEtherCatSegment
{
    public const ushort EtherTypeEtherCat = 0x88A4;
    private const int DatagramHeader = 10;

    private readonly EmulatedSlave[] _slaves;
    private readonly long[] _port0Arrival;
    private readonly long[] _port1Arrival;
    private readonly byte[] _incoming = new byte[2048];
    private bool _processDataHit;

    public EscSegment(IReadOnlyList<EmulatedSlave> slaves)
    {
        ArgumentNullException.ThrowIfNull(slaves);
        _slaves = [.. slaves];
        _port0Arrival = new long[_slaves.Length];
        _port1Arrival = new long[_slaves.Length];
        for (int i = 0; i < _slaves.Length; i++) _slaves[i].Esc.SetTopology(hasDownstream: i < _slaves.Length - 1);
    }

    /// <summary>The slaves in line order (position 0 is next to the master).</summary>
    public IReadOnlyList<EmulatedSlave> Slaves => _slaves;

    /// <summary>The injected bench time (ns) at which the next frame leaves the master. Real-time safe.</summary>
    public long TimeNs { get; private set; }

    /// <summary>
    /// The time base of the slaves' local clocks (DC), or null for the injected bench time (<see cref="TimeNs"/>).
    /// Served in real time (<c>rt hil serve</c>) this is the host's monotonic clock: each ESC's system time then runs
    /// with real time (plus its own offset and drift) between frames, as a real ESC's does, instead of advancing only
    /// when the bench steps; lockstep runs leave it null and stay deterministic. Set before the first frame.
    /// </summary>
    public IMonotonicClock? DcClock { get; set; }

    /// <summary>Fault injection: while true every frame is lost (link down).</summary>
    public bool LinkDown { get; set; }

    /// <summary>Fault injection: this many of the next frames are lost (counts down).</summary>
    public int DropNextFrames { get; set; }

    public long FramesProcessed { get; private set; }

    /// <summary>Whether the last processed frame moved process data (an LRD/LWR/LRW hit at least one FMMU) — the
    /// lockstep bench steps its plant on these frames.</summary>
    public bool LastFrameExchangedProcessData { get; private set; }

    /// <summary>Frames that moved process data.</summary>
    public long ProcessDataFrames { get; private set; }
    public long FramesDropped { get; private set; }
    public long MalformedFrames { get; private set; }
    public long NonEtherCatFrames { get; private set; }

    /// <summary>Sets the bench time and lets every slave's watchdog see it. Real-time safe.</summary>
    public void SetTime(long benchTimeNs)
    {
        TimeNs = benchTimeNs;
        for (int i = 0; i < _slaves.Length; i++) _slaves[i].AdvanceTime(benchTimeNs);
    }

    /// <inheritdoc />
    public int Process(Span<byte> frame, int length)
    {
        if (LinkDown || DropNextFrames > 0)
        {
            if (DropNextFrames > 0) DropNextFrames--;
            FramesDropped++;
            return 0;
        }

        if (length < 16 || length > frame.Length)
        {
            MalformedFrames++;
            FramesDropped++;
            return 0;
        }

        int o = 12;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(o));
        if (etherType == 0x8100)
        {
            o += 4;
            if (o + 4 > length)
            {
                MalformedFrames++;
                FramesDropped++;
                return 0;
            }

            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(o));
        }

        if (etherType != EtherTypeEtherCat)
        {
            NonEtherCatFrames++;
            FramesDropped++;
            return 0;
        }

        o += 2;
        ushort header = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(o));
        int ecatLength = header & 0x07FF;
        if ((header >> 12) != 1)
        {
            NonEtherCatFrames++; // not "EtherCAT commands" (e.g. network variables): not for these slaves
            FramesDropped++;
            return 0;
        }

        int start = o + 2;
        int end = start + ecatLength;
        if (end > length || !Validate(frame, start, end))
        {
            MalformedFrames++;
            FramesDropped++;
            return 0;
        }

        // Propagation: forward through ports 0, back through ports 1 (the last slave closes the loop).
        long t = DcClock is { } clock ? clock.NowNs : TimeNs;
        for (int i = 0; i < _slaves.Length; i++)
        {
            t += _slaves[i].LinkDelayNs;
            _port0Arrival[i] = t;
        }

        for (int i = _slaves.Length - 1; i >= 0; i--)
        {
            _port1Arrival[i] = i == _slaves.Length - 1 ? -1 : t;
            t += _slaves[i].LinkDelayNs;
        }

        for (int i = 0; i < _slaves.Length; i++)
        {
            _slaves[i].Esc.BeginFrame(_port0Arrival[i], _port1Arrival[i]);
            _slaves[i].BeforeFrame();
        }

        _processDataHit = false;
        int p = start;
        while (true)
        {
            int lenWord = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(p + 6));
            int len = lenWord & 0x07FF;
            ProcessDatagram(frame.Slice(p, DatagramHeader + len + 2), len);
            p += DatagramHeader + len + 2;
            if ((lenWord & 0x8000) == 0) break;
        }

        for (int i = 0; i < _slaves.Length; i++) _slaves[i].AfterFrame();
        LastFrameExchangedProcessData = _processDataHit;
        if (_processDataHit) ProcessDataFrames++;
        frame[6] |= 0x02; // "processed by a slave" marker in the source MAC
        FramesProcessed++;
        return length;
    }

    private static bool Validate(Span<byte> frame, int start, int end)
    {
        int p = start;
        while (true)
        {
            if (p + DatagramHeader + 2 > end) return false;
            int lenWord = BinaryPrimitives.ReadUInt16LittleEndian(frame.Slice(p + 6));
            int len = lenWord & 0x07FF;
            if (p + DatagramHeader + len + 2 > end) return false;
            p += DatagramHeader + len + 2;
            if ((lenWord & 0x8000) == 0) return true;
        }
    }

    private void ProcessDatagram(Span<byte> dg, int len)
    {
        var cmd = (EcCommand)dg[0];
        ushort adp = BinaryPrimitives.ReadUInt16LittleEndian(dg.Slice(2));
        ushort ado = BinaryPrimitives.ReadUInt16LittleEndian(dg.Slice(4));
        uint lad = BinaryPrimitives.ReadUInt32LittleEndian(dg.Slice(2));
        var data = dg.Slice(DatagramHeader, len);
        int wkc = BinaryPrimitives.ReadUInt16LittleEndian(dg.Slice(DatagramHeader + len));
        var incoming = _incoming.AsSpan(0, len);

        for (int i = 0; i < _slaves.Length; i++)
        {
            var esc = _slaves[i].Esc;
            int inc = 0;
            switch (cmd)
            {
                case EcCommand.Aprd or EcCommand.Apwr or EcCommand.Aprw:
                    if (adp == 0) inc = Physical(esc, cmd, ado, data, incoming);
                    adp++;
                    break;
                case EcCommand.Fprd or EcCommand.Fpwr or EcCommand.Fprw:
                    if (IsStation(esc, adp)) inc = Physical(esc, cmd, ado, data, incoming);
                    break;
                case EcCommand.Brd:
                    inc = esc.EcatRead(ado, data, orInto: true) ? 1 : 0;
                    adp++;
                    break;
                case EcCommand.Bwr:
                    inc = esc.EcatWrite(ado, data) ? 1 : 0;
                    adp++;
                    break;
                case EcCommand.Brw:
                    data.CopyTo(incoming);
                    inc = (esc.EcatRead(ado, data, orInto: true) ? 1 : 0) + (esc.EcatWrite(ado, incoming) ? 2 : 0);
                    adp++;
                    break;
                case EcCommand.Armw:
                    inc = adp == 0 ? Read(esc, ado, data) : Write(esc, ado, data);
                    adp++;
                    break;
                case EcCommand.Frmw:
                    inc = IsStation(esc, adp) ? Read(esc, ado, data) : Write(esc, ado, data);
                    break;
                case EcCommand.Lrd or EcCommand.Lwr or EcCommand.Lrw:
                    if (cmd == EcCommand.Lrw) data.CopyTo(incoming);
                    inc = esc.LogicalAccess(cmd, lad, data, cmd == EcCommand.Lrw ? incoming : data);
                    _processDataHit |= inc > 0;
                    break;
                default:
                    continue; // NOP and unknown commands pass untouched
            }

            esc.CompleteDatagram();
            if (inc > 0)
            {
                inc = esc.WkcFault switch
                {
                    WkcFault.Skip => 0,
                    WkcFault.AddOne => inc + 1,
                    _ => inc,
                };
            }

            wkc += inc;
        }

        if (cmd is EcCommand.Aprd or EcCommand.Apwr or EcCommand.Aprw or EcCommand.Brd or EcCommand.Bwr or EcCommand.Brw or EcCommand.Armw)
            BinaryPrimitives.WriteUInt16LittleEndian(dg.Slice(2), adp);
        BinaryPrimitives.WriteUInt16LittleEndian(dg.Slice(DatagramHeader + len), (ushort)wkc);
    }

    private static bool IsStation(EscController esc, ushort adp)
    {
        if (esc.StationAddress == adp) return true;
        bool aliasEnabled = (esc.Memory[EscRegisters.DlControlAliasEnable] & 0x01) != 0;
        return aliasEnabled && esc.StationAlias == adp;
    }

    private static int Read(EscController esc, ushort ado, Span<byte> data) => esc.EcatRead(ado, data, orInto: false) ? 1 : 0;

    private static int Write(EscController esc, ushort ado, Span<byte> data) => esc.EcatWrite(ado, data) ? 1 : 0;

    private static int Physical(EscController esc, EcCommand cmd, ushort ado, Span<byte> data, Span<byte> incoming)
    {
        switch (cmd)
        {
            case EcCommand.Aprd or EcCommand.Fprd:
                return Read(esc, ado, data);
            case EcCommand.Apwr or EcCommand.Fpwr:
                return Write(esc, ado, data);
            default:
                data.CopyTo(incoming);
                return (esc.EcatRead(ado, data, orInto: false) ? 1 : 0) + (esc.EcatWrite(ado, incoming) ? 2 : 0);
        }
    }
}
