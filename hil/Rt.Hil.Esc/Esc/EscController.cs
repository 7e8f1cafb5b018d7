using System.Buffers.Binary;
using R = Rt.Hil.Esc.Esc.EscRegisters;

namespace Rt.Hil.Esc.Esc;

/// <summary>Construction settings of one emulated ESC. Not real-time safe (plain options object).</summary>
public sealed class EscOptions
{
    /// <summary>Mailbox out (master→slave, SM0), mailbox in (SM1), outputs (SM2), inputs (SM3) as the SII advertises them.</summary>
    public SyncManagerLayout[] SyncManagers { get; init; } =
    [
        new(0x1000, 128, 0x26),
        new(0x1080, 128, 0x22),
        new(0x1100, 0, 0x64),
        new(0x1180, 0, 0x20),
    ];

    /// <summary>Enables the process-data (SM) watchdog: in OP, no output write for the time in 0x0420 → SAFEOP + ERR 0x001B.</summary>
    public bool ProcessDataWatchdog { get; init; }

    /// <summary>Require the PREOP→SAFEOP FMMU check (an active write FMMU onto SM2 and read FMMU onto SM3).</summary>
    public bool RequireFmmus { get; init; } = true;

    /// <summary>Require at least one complete output write in SAFEOP before SAFEOP→OP is accepted (else 0x001D).</summary>
    public bool RequireOutputsBeforeOp { get; init; }
}

/// <summary>
/// One virtual EtherCAT slave controller: 8 KiB of register and process RAM (registers 0x0000–0x0FFF, process RAM
/// 0x1000–0x1FFF), 8 FMMUs, 8 SyncManagers (mailbox and 3-buffer modes), the EEPROM interface onto an SII image,
/// distributed clocks with an injected local clock, and the AL state machine of ETG.1000.6.
/// The master side (<see cref="EcatRead"/>, <see cref="EcatWrite"/>, <see cref="LogicalAccess"/>) is driven by the
/// segment as datagrams pass; the PDI side (mailbox/process-data buffers) by the emulated device firmware.
/// Construction is not real-time safe; every other member is real-time safe (no allocation, no locks).
/// </summary>
public sealed partial class EscController
{
    public const int MemorySize = 0x2000;
    public const int FmmuCount = 8;
    public const int SmCount = 8;

    private readonly byte[] _mem = new byte[MemorySize];
    private readonly byte[][] _pdiBuffer = new byte[SmCount][];
    private readonly bool[] _pdiBufferValid = new bool[SmCount];
    private readonly bool[] _outputsNew = new bool[SmCount];
    private readonly byte[] _smActivateBefore = new byte[SmCount];
    private readonly bool[] _repeatRequested = new bool[SmCount];
    private readonly byte[] _bitScratch = new byte[MemorySize];
    private readonly SyncManagerLayout[] _layout;
    private readonly EscOptions _options;
    private readonly ushort[] _eeprom;

    // Side effects collected while a datagram writes registers, applied when it has passed (CompleteDatagram).
    private bool _alControlWritten, _eepromCommandWritten, _dcLatch, _offsetWritten;
    private int _smActivateWritten;
    private int _sysTimeWriteMask;
    private ulong _sysTimeWritten;

    private long _rxPort0Local, _rxPort1Local = -1, _sysTimeAtArrival, _driftCorrectionNs, _correctionLocal, _lastSysWriteLocal = long.MinValue;
    private double _rate, _rateIntegral, _filteredDiff, _writeIntervalAvg;
    private bool _filterPrimed, _speedStartWritten;
    private long _benchTimeNs, _lastOutputsNs;
    private bool _outputsSinceSafeOp;
    private bool _hasDownstream;

    public EscController(ushort[] siiWords, EscOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(siiWords);
        _options = options ?? new EscOptions();
        _layout = _options.SyncManagers;
        _eeprom = siiWords;
        for (int i = 0; i < SmCount; i++) _pdiBuffer[i] = new byte[MemorySize - R.ProcessRam];
        Reset();
    }

    /// <summary>The firmware behind the PDI (state-change checks). Set once before use.</summary>
    public IEscApplication? Application { get; set; }

    /// <summary>This ESC's local clock (offset and drift are configurable).</summary>
    public EscClock Clock { get; } = new();

    /// <summary>Fault injection: how this slave corrupts its working-counter increments.</summary>
    public WkcFault WkcFault { get; set; }

    /// <summary>The EEPROM (SII) contents as 16-bit words; writes through the EEPROM interface land here.</summary>
    public ReadOnlySpan<ushort> Eeprom => _eeprom;

    /// <summary>Raw register/RAM view for tests and the device firmware (PDI side). Real-time safe.</summary>
    public Span<byte> Memory => _mem;

    public AlState State => (AlState)(_mem[R.AlStatus] & 0x0F);
    public bool AlError => (_mem[R.AlStatus] & 0x10) != 0;
    public ushort AlStatusCode => U16(R.AlStatusCode);
    public ushort StationAddress => U16(R.StationAddress);
    public ushort StationAlias => U16(R.StationAlias);

    /// <summary>Whether DC SYNC0 generation is activated (0x0981 bits 0 and 1).</summary>
    public bool Sync0Active => (_mem[R.DcActivation] & 0x03) == 0x03;

    /// <summary>The system time (ns since 2000-01-01 in the master's time base) at the given bench time. Real-time safe.</summary>
    public long SystemTimeAt(long benchTimeNs)
    {
        long local = Clock.Local(benchTimeNs);
        return local + (long)U64(R.DcSystemTimeOffset) + Correction(local);
    }

    /// <summary>Power-on reset: registers to their defaults, EEPROM loaded (alias, PDI control), AL INIT. Real-time safe.</summary>
    public void Reset()
    {
        Array.Clear(_mem);
        _mem[R.Type] = 0xC2;
        _mem[R.Revision] = 0x01;
        W16(R.Build, 0x0001);
        _mem[R.FmmuCount] = FmmuCount;
        _mem[R.SmCount] = SmCount;
        _mem[R.RamSize] = (MemorySize - R.ProcessRam) / 1024;
        _mem[R.PortDescriptor] = 0x0F; // ports 0 and 1: MII; ports 2 and 3: not implemented
        W16(R.Features, 0x000C);       // bit 2 DC supported, bit 3 64-bit DC
        _mem[R.DlControl] = 0x01;
        _mem[R.AlControl] = (byte)AlState.Init;
        _mem[R.AlStatus] = (byte)AlState.Init;
        W16(R.WatchdogDivider, 2498);  // 100 µs units with the 25 MHz ESC clock
        W16(R.WatchdogTimePdi, 1000);
        W16(R.WatchdogTimeProcessData, 1000);
        _mem[R.WatchdogStatusProcessData] = 1;
        W16(R.DcSpeedCounterStart, 0x1000);
        _mem[R.DcFilterDepth] = 0x04;
        _mem[R.DcFilterDepth + 1] = 0x0C;
        Array.Clear(_pdiBufferValid);
        Array.Clear(_outputsNew);
        Array.Clear(_repeatRequested);
        RestartDriftControl();
        LoadEeprom();
        SetTopology(_hasDownstream);
    }

    /// <summary>Sets the DL status port bits for a line: port 0 towards the master, port 1 open iff a slave follows. Real-time safe.</summary>
    public void SetTopology(bool hasDownstream)
    {
        _hasDownstream = hasDownstream;
        ushort pdiOk = (ushort)(_eepromLoadErrors == 0 ? 0x0001 : 0x0000);
        // low byte: PDI operational, PDI watchdog reloaded, enhanced link detection, link on port 0 (and 1);
        // high byte: port 0 open + communication; port 1 open + communication or loop closed; ports 2/3 closed.
        ushort status = hasDownstream ? (ushort)(0x5A36 | pdiOk) : (ushort)(0x5616 | pdiOk);
        W16(R.DlStatus, status);
    }

    // ---------------------------------------------------------------- frame / time plumbing

    /// <summary>Called by the segment before a frame's datagrams pass this slave: when it arrived on port 0 and (if a slave
    /// follows) when it came back on port 1, in bench time. Refreshes the system-time register. Real-time safe.</summary>
    public void BeginFrame(long port0BenchNs, long port1BenchNs)
    {
        _rxPort0Local = Clock.Local(port0BenchNs);
        _rxPort1Local = port1BenchNs >= 0 ? Clock.Local(port1BenchNs) : -1;
        _sysTimeAtArrival = _rxPort0Local + (long)U64(R.DcSystemTimeOffset) + Correction(_rxPort0Local);
        W64(R.DcSystemTime, (ulong)_sysTimeAtArrival);
        UpdateSync0Status();
    }

    /// <summary>Advances the injected bench time; runs the process-data watchdog. Real-time safe.</summary>
    public void AdvanceTime(long benchTimeNs)
    {
        _benchTimeNs = benchTimeNs;
        if (!_options.ProcessDataWatchdog || State != AlState.Op) return;
        int sm2 = R.Sm0 + 2 * 8;
        bool enabled = (_mem[sm2 + R.SmActivate] & 1) != 0 && (_mem[sm2 + R.SmControl] & 0x40) != 0 && U16(sm2 + R.SmLength) > 0;
        if (!enabled) return;
        long unitNs = (U16(R.WatchdogDivider) + 2L) * 40L;
        long timeoutNs = U16(R.WatchdogTimeProcessData) * unitNs;
        if (timeoutNs > 0 && benchTimeNs - _lastOutputsNs > timeoutNs)
        {
            _mem[R.WatchdogStatusProcessData] = 0;
            _mem[R.WatchdogCounterProcessData]++;
            SetAlStatus(AlState.SafeOp, AlStatusCodes.SyncManagerWatchdog);
        }
    }

    // ---------------------------------------------------------------- master (ECAT) access

    /// <summary>Reads [addr, addr+dst.Length) as the master sees it, into (or ORed into) <paramref name="dst"/>.
    /// Returns whether any byte was accessible (the working-counter rule). Real-time safe.</summary>
    public bool EcatRead(int addr, Span<byte> dst, bool orInto)
    {
        bool accessed = false;
        int end = addr + dst.Length;
        int p = addr;
        while (p < end && p < MemorySize)
        {
            int sm = FindSm(p, end, out int runEnd);
            var slice = dst.Slice(p - addr, runEnd - p);
            if (sm < 0)
            {
                Transfer(_mem.AsSpan(p, runEnd - p), slice, orInto);
                accessed = true;
            }
            else if (SmRead(sm, p, runEnd, slice, orInto))
            {
                accessed = true;
            }

            p = runEnd;
        }

        return accessed;
    }

    /// <summary>Writes <paramref name="src"/> at <paramref name="addr"/> as the master does (register write rules,
    /// SyncManager buffer rules). Returns whether any byte was accessible. Real-time safe.</summary>
    public bool EcatWrite(int addr, ReadOnlySpan<byte> src)
    {
        bool accessed = false;
        int end = addr + src.Length;
        int p = addr;
        while (p < end && p < MemorySize)
        {
            if (p < R.ProcessRam)
            {
                WriteRegister(p, src[p - addr]);
                accessed = true;
                p++;
                continue;
            }

            int sm = FindSm(p, end, out int runEnd);
            var slice = src.Slice(p - addr, runEnd - p);
            if (sm < 0)
            {
                slice.CopyTo(_mem.AsSpan(p));
                accessed = true;
            }
            else if (SmWrite(sm, p, runEnd, slice))
            {
                accessed = true;
            }

            p = runEnd;
        }

        return accessed;
    }

    /// <summary>
    /// Processes a logical datagram (LRD/LWR/LRW) at this slave through its FMMUs. <paramref name="data"/> is the
    /// datagram's data in the frame; <paramref name="incoming"/> the data as it arrived (LRW writes take it from there).
    /// Returns this slave's working-counter increment (read +1, write +1, LRW write +2). Real-time safe.
    /// </summary>
    public int LogicalAccess(EcCommand cmd, uint logicalAddress, Span<byte> data, ReadOnlySpan<byte> incoming)
    {
        bool doRead = cmd is EcCommand.Lrd or EcCommand.Lrw;
        bool doWrite = cmd is EcCommand.Lwr or EcCommand.Lrw;
        bool read = false, wrote = false;
        long dgStartBit = (long)logicalAddress * 8;
        long dgEndBit = dgStartBit + (long)data.Length * 8;

        // Reads first (the frame carries the ESC's old contents back), then writes from the incoming data.
        for (int pass = 0; pass < 2; pass++)
        {
            for (int f = 0; f < FmmuCount; f++)
            {
                int b = R.Fmmu0 + f * 16;
                if ((_mem[b + 12] & 1) == 0) continue;
                int type = _mem[b + 11];
                bool isRead = pass == 0;
                if (isRead ? !doRead || (type & 1) == 0 : !doWrite || (type & 2) == 0) continue;
                uint lStart = U32(b);
                int len = U16(b + 4);
                if (len == 0) continue;
                long fStartBit = (long)lStart * 8 + (_mem[b + 6] & 7);
                long fEndBit = ((long)lStart + len - 1) * 8 + (_mem[b + 7] & 7) + 1; // exclusive
                long from = Math.Max(fStartBit, dgStartBit), to = Math.Min(fEndBit, dgEndBit);
                if (from >= to) continue;
                long physStartBit = (long)U16(b + 8) * 8 + (_mem[b + 10] & 7);
                long physFrom = physStartBit + (from - fStartBit);
                int bits = (int)(to - from);
                int dataBit = (int)(from - dgStartBit);
                if (isRead) read |= ReadBits(physFrom, data, dataBit, bits);
                else wrote |= WriteBits(physFrom, incoming, dataBit, bits);
            }
        }

        int inc = (read ? 1 : 0) + (wrote ? (cmd == EcCommand.Lrw ? 2 : 1) : 0);
        return inc;
    }

    private bool ReadBits(long physBit, Span<byte> data, int dataBit, int bits)
    {
        if (((physBit | (long)dataBit | (long)bits) & 7) == 0)
            return EcatRead((int)(physBit >> 3), data.Slice(dataBit >> 3, bits >> 3), orInto: false);

        int firstByte = (int)(physBit >> 3);
        int byteCount = (int)(((physBit + bits + 7) >> 3) - firstByte);
        if (firstByte + byteCount > MemorySize) return false;
        var tmp = _bitScratch.AsSpan(0, byteCount);
        tmp.Clear();
        if (!EcatRead(firstByte, tmp, orInto: false)) return false;
        BitCopy.Copy(tmp, (int)(physBit & 7), data, dataBit, bits);
        return true;
    }

    private bool WriteBits(long physBit, ReadOnlySpan<byte> data, int dataBit, int bits)
    {
        if (((physBit | (long)dataBit | (long)bits) & 7) == 0)
            return EcatWrite((int)(physBit >> 3), data.Slice(dataBit >> 3, bits >> 3));

        int firstByte = (int)(physBit >> 3);
        int byteCount = (int)(((physBit + bits + 7) >> 3) - firstByte);
        if (firstByte + byteCount > MemorySize) return false;
        var tmp = _bitScratch.AsSpan(0, byteCount);
        _mem.AsSpan(firstByte, byteCount).CopyTo(tmp); // read-modify-write of the untouched bits
        BitCopy.Copy(data, dataBit, tmp, (int)(physBit & 7), bits);
        return EcatWrite(firstByte, tmp);
    }

    /// <summary>Applies the side effects of the register writes of the datagram that just passed (AL control, EEPROM
    /// command, SyncManager activation, DC latch and drift control). Real-time safe.</summary>
    public void CompleteDatagram()
    {
        if (_smActivateWritten != 0)
        {
            for (int i = 0; i < SmCount; i++)
            {
                if ((_smActivateWritten & (1 << i)) == 0) continue;
                int b = R.Sm0 + i * 8;
                byte now = _mem[b + R.SmActivate], before = _smActivateBefore[i];
                if ((now & 1) != (before & 1)) ResetSmState(i, enabled: (now & 1) != 0);
                if (((now ^ before) & 0x02) != 0) _repeatRequested[i] = true;
            }

            _smActivateWritten = 0;
        }

        if (_eepromCommandWritten)
        {
            _eepromCommandWritten = false;
            ExecuteEepromCommand();
        }

        if (_dcLatch)
        {
            _dcLatch = false;
            W32(R.DcReceiveTimePort0, (uint)_rxPort0Local);
            if (_rxPort1Local >= 0) W32(R.DcReceiveTimePort1, (uint)_rxPort1Local);
            W64(R.DcReceiveTimeProcessingUnit, (ulong)_rxPort0Local);
        }

        if (_offsetWritten)
        {
            _offsetWritten = false;
            RestartDriftControl(); // writing the offset restarts the drift controller
            _sysTimeAtArrival = _rxPort0Local + (long)U64(R.DcSystemTimeOffset);
            W64(R.DcSystemTime, (ulong)_sysTimeAtArrival);
        }

        if (_speedStartWritten)
        {
            _speedStartWritten = false;
            _driftCorrectionNs = Correction(_rxPort0Local); // keep the clock's value; restart its speed control
            _correctionLocal = _rxPort0Local;
            long keep = _driftCorrectionNs, at = _correctionLocal;
            RestartDriftControl();
            (_driftCorrectionNs, _correctionLocal) = (keep, at);
        }

        if (_sysTimeWriteMask != 0)
        {
            ApplySystemTimeWrite();
            _sysTimeWriteMask = 0;
            _sysTimeWritten = 0;
        }

        if (_alControlWritten)
        {
            _alControlWritten = false;
            ProcessAlControl();
        }
    }

    // ---------------------------------------------------------------- registers

    private void WriteRegister(int p, byte v)
    {
        switch (p)
        {
            case >= R.StationAddress and <= R.StationAddress + 1:
            case >= R.DlControl and <= R.DlControl + 3:
            case 0x0108 or 0x0109:
            case >= R.EventMask and <= R.EventMask + 1:
            case R.WatchdogDivider or R.WatchdogDivider + 1:
            case R.WatchdogTimePdi or R.WatchdogTimePdi + 1:
            case R.WatchdogTimeProcessData or R.WatchdogTimeProcessData + 1:
            case >= R.EepromAddress and <= R.EepromData + 7:
            case >= R.Fmmu0 and < R.Fmmu0 + FmmuCount * 16:
            case >= R.DcSystemTimeDelay and <= R.DcSystemTimeDelay + 3:
            case R.DcFilterDepth or R.DcFilterDepth + 1:
            case R.DcCyclicUnitControl or R.DcActivation:
            case >= R.DcStartTime and <= R.DcStartTime + 7:
            case >= R.DcSync0Cycle and <= R.DcSync1Cycle + 3:
                _mem[p] = v;
                break;
            case R.AlControl or R.AlControl + 1:
                _mem[p] = v;
                _alControlWritten = true;
                break;
            case R.DcSpeedCounterStart or R.DcSpeedCounterStart + 1:
                _mem[p] = v;
                _speedStartWritten = true; // resets 0x092C and 0x0932 (datasheet)
                break;
            case >= R.ErrorCounters and <= R.ErrorCountersEnd:
            case R.WatchdogCounterProcessData or R.WatchdogCounterPdi:
                _mem[p] = 0; // a write clears the counter
                break;
            case R.EepromConfig:
                _mem[p] = (byte)(v & 0x03);
                break;
            case R.EepromControl or R.EepromControl + 1:
                _mem[p] = v;
                _eepromCommandWritten = true;
                break;
            case >= R.Sm0 and < R.Sm0 + SmCount * 8:
                WriteSmRegister(p, v);
                break;
            case >= R.DcReceiveTimePort0 and <= R.DcReceiveTimePort0 + 3:
                _dcLatch = true; // the written value is not stored: the write latches the receive times
                break;
            case >= R.DcSystemTime and <= R.DcSystemTime + 7:
                _sysTimeWritten |= (ulong)v << ((p - R.DcSystemTime) * 8);
                _sysTimeWriteMask |= 1 << (p - R.DcSystemTime);
                break;
            case >= R.DcSystemTimeOffset and <= R.DcSystemTimeOffset + 7:
                _mem[p] = v;
                _offsetWritten = true;
                break;
            default:
                break; // read-only or reserved: ignored (the access still counts)
        }
    }

    private void WriteSmRegister(int p, byte v)
    {
        int sm = (p - R.Sm0) >> 3, o = (p - R.Sm0) & 7;
        int b = R.Sm0 + sm * 8;
        bool enabled = (_mem[b + R.SmActivate] & 1) != 0;
        switch (o)
        {
            case <= R.SmControl:
                if (!enabled) _mem[p] = v; // start, length and control are locked while the SM is enabled
                break;
            case R.SmActivate:
                if ((_smActivateWritten & (1 << sm)) == 0) _smActivateBefore[sm] = _mem[p];
                _smActivateWritten |= 1 << sm;
                _mem[p] = (byte)(v & 0xC3);
                break;
            default:
                break; // status and PDI control belong to the ESC/PDI
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void Transfer(ReadOnlySpan<byte> src, Span<byte> dst, bool orInto)
    {
        if (!orInto)
        {
            src.CopyTo(dst);
            return;
        }

        for (int i = 0; i < src.Length; i++) dst[i] |= src[i];
    }

    private ushort U16(int a) => BinaryPrimitives.ReadUInt16LittleEndian(_mem.AsSpan(a));
    private uint U32(int a) => BinaryPrimitives.ReadUInt32LittleEndian(_mem.AsSpan(a));
    private ulong U64(int a) => BinaryPrimitives.ReadUInt64LittleEndian(_mem.AsSpan(a));
    private void W16(int a, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(_mem.AsSpan(a), v);
    private void W32(int a, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(_mem.AsSpan(a), v);
    private void W64(int a, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(_mem.AsSpan(a), v);
}
