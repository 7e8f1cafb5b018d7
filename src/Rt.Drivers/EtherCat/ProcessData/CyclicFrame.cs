using System.Buffers.Binary;
using Rt.Core.Time;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Transport;

namespace Rt.Drivers.EtherCat.ProcessData;

/// <summary>What came back from one cyclic exchange. Real-time safe (value type).</summary>
public struct CyclicResult
{
    /// <summary>The frame could not be sent (link refused it).</summary>
    public bool SendFailed;

    /// <summary>A matching reply arrived within the reply timeout.</summary>
    public bool Received;

    public int LrwWorkingCounter;
    public int ExpectedWorkingCounter;

    /// <summary>AL status ORed over all slaves (BRD 0x0130) and how many slaves answered it.</summary>
    public ushort AlStatusOr;
    public int AlStatusResponders;

    /// <summary>Per-slave AL status probe this cycle (one slave per cycle, round robin): its position and status.</summary>
    public int ProbePosition;
    public ushort ProbeStatus;
    public bool ProbeAnswered;

    /// <summary>Reference clock system time read by the FRMW (0 when DC is off).</summary>
    public ulong ReferenceTimeNs;

    /// <summary>Replies for earlier cycles (shaped like ours, older index) dropped while waiting for this one.</summary>
    public int StaleDropped;

    /// <summary>Other frames dropped while waiting: foreign, forged, not processed by a slave, or malformed.</summary>
    public int Rejected;

    public FrameError LastDropReason;

    public readonly bool WorkingCounterOk => Received && LrwWorkingCounter == ExpectedWorkingCounter;
}

/// <summary>
/// The one preallocated frame exchanged every tick: LRW over the whole logical image, then (with DC) FRMW of the
/// reference clock's system time 0x0910 so every other slave's clock follows it, BRD of AL status 0x0130 (any slave not in
/// OP shows in the OR), and an FPRD of 0x0130 on one slave per cycle (round robin) to name which one. Each cycle uses a
/// fresh datagram index. A frame is this cycle's reply only if all of it matches (processed-by-slave bit in the source
/// MAC, every datagram's position, command, address, length and index); one that differs only in the index is a late
/// reply of an earlier cycle (stale), anything else is rejected; both are dropped and counted.
/// Constructor: not real-time safe. <see cref="Exchange"/>: real-time safe, no allocation.
/// </summary>
public sealed class CyclicFrame
{
    private readonly byte[] _tx = new byte[FrameLayout.MaximumFrameLength];
    private readonly byte[] _rx = new byte[FrameLayout.MaximumFrameLength + 64];
    private readonly Datagram[] _decoded = new Datagram[8];
    private readonly Datagram[] _expected = new Datagram[8];
    private readonly byte[] _mac = new byte[EthernetHeader.MacLength];
    private readonly int _probeIndex;
    private readonly ushort[] _stations;
    private readonly int _length;
    private readonly int _lrwHeader, _lrwData;
    private readonly int _frmwHeader = -1, _frmwData = -1;
    private readonly int _brdHeader, _brdData;
    private readonly int _probeHeader, _probeData;
    private readonly int _datagramCount;
    private byte _index;
    private int _probe;
    private long _staleTotal;
    private long _rejectedTotal;

    /// <param name="layout">Logical image (LRW length and expected WKC).</param>
    /// <param name="stations">Station addresses in bus order (for the AL status probe).</param>
    /// <param name="mac">Source MAC (the processed bit 0x02 must be clear; see <see cref="EthernetHeader.MasterMac"/>).</param>
    /// <param name="dcReferenceStation">Station address of the DC reference clock, or null without DC.</param>
    public CyclicFrame(ProcessDataLayout layout, IReadOnlyList<ushort> stations, ReadOnlySpan<byte> mac, ushort? dcReferenceStation)
    {
        Layout = layout;
        _stations = [.. stations];
        if (mac.Length != EthernetHeader.MacLength || (mac[0] & EthernetHeader.ProcessedBit) != 0)
            throw new ArgumentException("the master's source MAC must be 6 bytes with the processed bit 0x02 clear, or replies cannot be told from frames that never passed a slave", nameof(mac));
        mac.CopyTo(_mac);
        var w = new FrameWriter(_tx, mac);
        if (!w.TryAppend(EtherCatCommand.Lrw, 0, layout.LogicalStart, layout.TotalBytes, out _, out _lrwHeader))
            throw new EtherCatException($"process image of {layout.TotalBytes} bytes does not fit one frame");
        _lrwData = _lrwHeader + FrameLayout.DatagramHeaderLength;
        if (dcReferenceStation is { } reference)
        {
            if (!w.TryAppend(EtherCatCommand.Frmw, 0, EtherCatCommands.Physical(reference, EscRegister.DcSystemTime), 8, out _, out _frmwHeader))
                throw new EtherCatException("no room for the DC FRMW datagram in the cyclic frame");
            _frmwData = _frmwHeader + FrameLayout.DatagramHeaderLength;
        }
        if (!w.TryAppend(EtherCatCommand.Brd, 0, EtherCatCommands.Physical(0, EscRegister.AlStatus), 2, out _, out _brdHeader))
            throw new EtherCatException("no room for the AL status BRD in the cyclic frame");
        _brdData = _brdHeader + FrameLayout.DatagramHeaderLength;
        ushort first = _stations.Length > 0 ? _stations[0] : (ushort)0;
        if (!w.TryAppend(EtherCatCommand.Fprd, 0, EtherCatCommands.Physical(first, EscRegister.AlStatus), 2, out _, out _probeHeader))
            throw new EtherCatException("no room for the AL status probe in the cyclic frame");
        _probeData = _probeHeader + FrameLayout.DatagramHeaderLength;
        _datagramCount = w.DatagramCount;
        _length = w.Finish();
        var error = FrameReader.TryDecode(_tx.AsSpan(0, _length), _expected, out int decoded);
        if (error.IsError || decoded != _datagramCount) throw new InvalidOperationException($"cyclic frame does not decode: {error}");
        _probeIndex = _datagramCount - 1;
    }

    public ProcessDataLayout Layout { get; }

    /// <summary>Frame length on the wire.</summary>
    public int Length => _length;

    /// <summary>The outputs part of the LRW data in the frame to be sent: encode outputs here before <see cref="Exchange"/>.</summary>
    public Span<byte> Outputs => _tx.AsSpan(_lrwData, Layout.OutputBytes);

    /// <summary>The whole LRW data of the last reply (outputs then inputs).</summary>
    public ReadOnlySpan<byte> ReplyImage => _rx.AsSpan(_lrwData, Layout.TotalBytes);

    /// <summary>The inputs part of the last reply's LRW data.</summary>
    public ReadOnlySpan<byte> Inputs => _rx.AsSpan(_lrwData + Layout.OutputBytes, Layout.InputBytes);

    /// <summary>Late replies of earlier cycles dropped since construction.</summary>
    public long StaleTotal => _staleTotal;

    /// <summary>Every frame received and not taken as a reply since construction: stale ones plus foreign, forged, unprocessed or malformed ones.</summary>
    public long RejectedTotal => _rejectedTotal;

    /// <summary>
    /// Sends the frame (outputs as set in <see cref="Outputs"/>) and polls for its reply until <paramref name="replyTimeoutNs"/>
    /// has passed on <paramref name="clock"/>. Real-time safe: no allocation, one clock read per empty poll.
    /// </summary>
    public CyclicResult Exchange(IEthernetLink link, IMonotonicClock clock, long replyTimeoutNs)
    {
        var result = new CyclicResult { ExpectedWorkingCounter = Layout.ExpectedWorkingCounter };
        byte index = ++_index;
        _tx[_lrwHeader + DatagramHeader.Index] = index;
        _tx.AsSpan(_lrwData + Layout.OutputBytes, Layout.InputBytes).Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(_tx.AsSpan(_lrwData + Layout.TotalBytes), 0);
        if (_frmwHeader >= 0)
        {
            _tx[_frmwHeader + DatagramHeader.Index] = index;
            _tx.AsSpan(_frmwData, 8 + 2).Clear();
        }
        _tx[_brdHeader + DatagramHeader.Index] = index;
        _tx.AsSpan(_brdData, 2 + 2).Clear();
        _tx[_probeHeader + DatagramHeader.Index] = index;
        int probe = _stations.Length > 0 ? _probe : -1;
        if (probe >= 0) BinaryPrimitives.WriteUInt16LittleEndian(_tx.AsSpan(_probeHeader + DatagramHeader.Adp), _stations[probe]);
        for (int i = 0; i < _datagramCount; i++) _expected[i] = _expected[i] with { Index = index };
        if (probe >= 0) _expected[_probeIndex] = _expected[_probeIndex] with { Address = EtherCatCommands.Physical(_stations[probe], EscRegister.AlStatus) };
        _tx.AsSpan(_probeData, 2 + 2).Clear();
        if (_stations.Length > 0) _probe = (_probe + 1) % _stations.Length;
        result.ProbePosition = probe;

        if (!link.TrySend(_tx.AsSpan(0, _length)))
        {
            result.SendFailed = true;
            return result;
        }

        long deadline = clock.NowNs + replyTimeoutNs;
        var expected = _expected.AsSpan(0, _datagramCount);
        while (true)
        {
            int got = link.TryReceive(_rx);
            if (got > 0)
            {
                var verdict = FrameReader.CheckReply(_rx.AsSpan(0, got), _mac, expected, _decoded, out var error);
                if (verdict == ReplyVerdict.Accepted) break;
                _rejectedTotal++;
                if (verdict == ReplyVerdict.Stale)
                {
                    result.StaleDropped++;
                    _staleTotal++;
                }
                else result.Rejected++;
                result.LastDropReason = error;
            }
            // Checked after every frame too: a flood of foreign frames must not hold the tick past its deadline.
            if (clock.NowNs >= deadline) return result;
        }
        result.Received = true;
        result.LrwWorkingCounter = _decoded[0].WorkingCounter;
        int k = 1;
        if (_frmwHeader >= 0)
        {
            result.ReferenceTimeNs = BinaryPrimitives.ReadUInt64LittleEndian(_rx.AsSpan(_frmwData, 8));
            k++;
        }
        result.AlStatusOr = BinaryPrimitives.ReadUInt16LittleEndian(_rx.AsSpan(_brdData, 2));
        result.AlStatusResponders = _decoded[k].WorkingCounter;
        result.ProbeStatus = BinaryPrimitives.ReadUInt16LittleEndian(_rx.AsSpan(_probeData, 2));
        result.ProbeAnswered = _decoded[k + 1].WorkingCounter == 1;
        return result;
    }
}
