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

    /// <summary>
    /// The AL status probes of this cycle (FPRD 0x0130, one per probed slave; every slave each cycle when the frame
    /// has room, see <see cref="CyclicFrame.StatusProbes"/>): how many slaves were probed, starting at which position.
    /// </summary>
    public int ProbeFirstPosition;
    public int ProbeCount;

    /// <summary>
    /// The lowest bus position whose latest answered probe showed a state other than OP (or the error bit), −1 for
    /// none; its AL status; and how many slaves are known not in OP. With every slave probed each cycle this is exact
    /// for the cycle; with fewer probe slots than slaves a slave's status is as of its last probe.
    /// </summary>
    public int FirstNotOpPosition;
    public ushort FirstNotOpStatus;
    public int NotOpCount;

    /// <summary>The lowest bus position probed this cycle that did not answer its probe (WKC 0: gone from the bus), −1 for none.</summary>
    public int FirstSilentPosition;

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
/// OP shows in the OR), and one FPRD of 0x0130 per slave so the cycle that sees a slave leave OP also names it (ETG.1000:
/// each FPRD is answered by exactly one slave, WKC 1). When the frame has no room for every slave, the probes that fit
/// go round robin. Each cycle uses a fresh datagram index. A frame is this cycle's reply only if all of it matches
/// (processed-by-slave bit in the source MAC, every datagram's position, command, address, length and index); one that
/// differs only in the index is a late reply of an earlier cycle (stale), anything else is rejected; both are dropped and counted.
/// Constructor: not real-time safe. <see cref="Exchange"/>: real-time safe, no allocation.
/// </summary>
public sealed class CyclicFrame
{
    /// <summary>Bytes one AL status probe adds to the frame: datagram header, 2 data bytes, WKC.</summary>
    public const int ProbeBytes = FrameLayout.DatagramOverhead + 2;

    private readonly byte[] _tx = new byte[FrameLayout.MaximumFrameLength];
    private readonly byte[] _rx = new byte[FrameLayout.MaximumFrameLength + 64];
    private readonly Datagram[] _decoded;
    private readonly Datagram[] _expected;
    private readonly byte[] _mac = new byte[EthernetHeader.MacLength];
    private readonly ushort[] _stations;
    private readonly int _length;
    private readonly int _lrwHeader, _lrwData;
    private readonly int _frmwHeader = -1, _frmwData = -1;
    private readonly int _brdHeader, _brdData;
    private readonly int _firstProbe; // datagram number of the first probe
    private readonly int[] _probeHeader;
    private readonly ushort[] _alStatus; // per bus position: AL status of its last answered probe (0: never answered)
    private readonly int _datagramCount;
    private byte _index;
    private int _probe;
    private long _staleTotal;
    private long _rejectedTotal;

    /// <param name="layout">Logical image (LRW length and expected WKC).</param>
    /// <param name="stations">Station addresses in bus order (for the AL status probes).</param>
    /// <param name="mac">Source MAC (the processed bit 0x02 must be clear; see <see cref="EthernetHeader.MasterMac"/>).</param>
    /// <param name="dcReferenceStation">Station address of the DC reference clock, or null without DC.</param>
    /// <param name="maxStatusProbes">Most AL status probes per cycle (default: one per slave, as many as the frame holds); at least 1 when there are slaves.</param>
    public CyclicFrame(ProcessDataLayout layout, IReadOnlyList<ushort> stations, ReadOnlySpan<byte> mac, ushort? dcReferenceStation, int maxStatusProbes = int.MaxValue)
    {
        Layout = layout;
        _stations = [.. stations];
        _alStatus = new ushort[_stations.Length];
        if (mac.Length != EthernetHeader.MacLength || (mac[0] & EthernetHeader.ProcessedBit) != 0)
            throw new ArgumentException("the master's source MAC must be 6 bytes with the processed bit 0x02 clear, or replies cannot be told from frames that never passed a slave", nameof(mac));
        if (maxStatusProbes < 1) throw new ArgumentOutOfRangeException(nameof(maxStatusProbes), maxStatusProbes, "expected at least 1 AL status probe per cycle");
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
        _firstProbe = w.DatagramCount;
        // One probe per slave while the frame has room (at least one: without it no slave could ever be named).
        int slots = Math.Min(Math.Max(1, _stations.Length), maxStatusProbes);
        var headers = new List<int>(slots);
        for (int i = 0; i < slots; i++)
        {
            ushort station = _stations.Length > 0 ? _stations[i % _stations.Length] : (ushort)0;
            if (i > 0 && w.Remaining < ProbeBytes) break;
            if (!w.TryAppend(EtherCatCommand.Fprd, 0, EtherCatCommands.Physical(station, EscRegister.AlStatus), 2, out _, out int header))
                throw new EtherCatException("no room for the AL status probe in the cyclic frame");
            headers.Add(header);
        }
        _probeHeader = [.. headers];
        _datagramCount = w.DatagramCount;
        _expected = new Datagram[_datagramCount];
        _decoded = new Datagram[_datagramCount + 1]; // one spare: a reply with more datagrams is a count mismatch, not an overflow
        _length = w.Finish();
        var error = FrameReader.TryDecode(_tx.AsSpan(0, _length), _expected, out int decoded);
        if (error.IsError || decoded != _datagramCount) throw new InvalidOperationException($"cyclic frame does not decode: {error}");
    }

    public ProcessDataLayout Layout { get; }

    /// <summary>Frame length on the wire.</summary>
    public int Length => _length;

    /// <summary>AL status probes (FPRD 0x0130) per cycle: every slave when it equals the slave count, else round robin.</summary>
    public int StatusProbes => _probeHeader.Length;

    /// <summary>A slave's AL status as of its last answered probe (0: never answered). Real-time safe.</summary>
    public ushort AlStatusOf(int position) => (uint)position < (uint)_alStatus.Length ? _alStatus[position] : (ushort)0;

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
        var result = new CyclicResult { ExpectedWorkingCounter = Layout.ExpectedWorkingCounter, FirstNotOpPosition = -1, FirstSilentPosition = -1 };
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
        int n = _stations.Length;
        int slots = n > 0 ? _probeHeader.Length : 0;
        bool rotate = slots < n; // every slave has its own slot otherwise: addresses never change
        for (int i = 0; i < _probeHeader.Length; i++)
        {
            int h = _probeHeader[i];
            _tx[h + DatagramHeader.Index] = index;
            if (rotate)
            {
                ushort station = _stations[(_probe + i) % n];
                BinaryPrimitives.WriteUInt16LittleEndian(_tx.AsSpan(h + DatagramHeader.Adp), station);
                _expected[_firstProbe + i] = _expected[_firstProbe + i] with { Address = EtherCatCommands.Physical(station, EscRegister.AlStatus) };
            }
            _tx.AsSpan(h + FrameLayout.DatagramHeaderLength, 2 + 2).Clear();
        }
        for (int i = 0; i < _datagramCount; i++) _expected[i] = _expected[i] with { Index = index };
        result.ProbeFirstPosition = slots > 0 ? _probe : -1;
        result.ProbeCount = slots;
        int first = _probe;
        if (rotate) _probe = (_probe + slots) % n;

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
        for (int i = 0; i < slots; i++)
        {
            int position = (first + i) % n;
            if (_decoded[_firstProbe + i].WorkingCounter == 1)
                _alStatus[position] = BinaryPrimitives.ReadUInt16LittleEndian(_rx.AsSpan(_probeHeader[i] + FrameLayout.DatagramHeaderLength, 2));
            else if (result.FirstSilentPosition < 0 || position < result.FirstSilentPosition)
                result.FirstSilentPosition = position;
        }
        for (int p = 0; p < n; p++)
        {
            ushort st = _alStatus[p];
            if (st == 0 || (st & AlStatusStateMask) == (ushort)SubDevices.AlState.Op) continue; // 0: not probed yet
            if (result.NotOpCount++ == 0)
            {
                result.FirstNotOpPosition = p;
                result.FirstNotOpStatus = st;
            }
        }
        return result;
    }

    /// <summary>AL status bits that must read exactly OP: the state (bits 0–3) and the error indicator (bit 4).</summary>
    public const ushort AlStatusStateMask = 0x1F;
}
