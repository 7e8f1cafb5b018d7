using System.Buffers.Binary;
using Rt.Core.Config;
using Rt.Drivers.EtherCat.CoE;
using Rt.Drivers.EtherCat.DistributedClocks;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Mailbox;
using Rt.Drivers.EtherCat.ProcessData;
using Rt.Drivers.EtherCat.Sii;
using Rt.Drivers.EtherCat.SubDevices;
using Rt.Drivers.EtherCat.Transport;

namespace Rt.Drivers.EtherCat;

/// <summary>
/// The EtherCAT master's bring-up (non-real-time): count slaves (BRD), reset them to INIT, give station addresses
/// 0x1001.. (APWR), read SII, compare identities with the configuration, configure the mailbox SMs from SII, go to
/// PREOP, read the PDO mapping (CoE or SII), lay out the logical image and program SM2/SM3 and FMMUs, configure
/// distributed clocks, go to SAFEOP and OP (exchanging process data while waiting). Refusals carry the AL status
/// code by name. Bring-up hands out typestate handles (<see cref="PreOpBus"/>, <see cref="SafeOpBus"/>, <see cref="OpBus"/>);
/// only an <see cref="OpBus"/> builds the tick's <see cref="EtherCatFieldbus"/>.
/// Not real-time safe (every method here allocates or waits).
/// </summary>
public sealed class EtherCatMaster
{
    private readonly List<SubDevice> _subDevices = [];

    public EtherCatMaster(IEthernetLink link, MasterOptions? options = null)
    {
        Options = options ?? new MasterOptions();
        Link = link;
        Bus = new EtherCatTransport(link, Options.Transport);
        Clock = Bus.Clock;
    }

    public IEthernetLink Link { get; }

    /// <summary>The clock every bring-up timeout runs on (the transport's).</summary>
    public Rt.Core.Time.IMonotonicClock Clock { get; }
    public EtherCatTransport Bus { get; }
    public MasterOptions Options { get; }
    public IReadOnlyList<SubDevice> SubDevices => _subDevices;

    /// <summary>Set by <see cref="ConfigureProcessData"/>.</summary>
    public ProcessDataLayout? Layout { get; private set; }

    /// <summary>The cyclic frame, set by <see cref="ConfigureProcessData"/>.</summary>
    public CyclicFrame? Cyclic { get; private set; }

    /// <summary>Set by <see cref="ConfigureDistributedClocks"/> (null without DC).</summary>
    public DcReport? Dc { get; private set; }

    /// <summary>Bring-up all the way to OP. <paramref name="masterTimeNs"/>: injected master time (ns since 2000-01-01) for DC offsets.</summary>
    public OpBus BringUp(IReadOnlyList<SlaveIdentityConfig>? expected, long masterTimeNs, long cycleNs) =>
        BringUpToPreOp(expected).ToSafeOp(masterTimeNs, cycleNs).ToOp();

    /// <summary>Bring-up to PREOP: count and address the slaves, read SII, compare identities, mailboxes, PDO mapping.</summary>
    public PreOpBus BringUpToPreOp(IReadOnlyList<SlaveIdentityConfig>? expected)
    {
        Initialize();
        if (expected is { Count: > 0 }) VerifyIdentities(expected);
        ToPreOp();
        return new PreOpBus(this);
    }

    /// <summary>
    /// Bring-up from the robot config: expected identities from <c>bus.slaves</c>, SYNC0 period from <c>loop.rate_hz</c>
    /// (DC only when <see cref="MasterOptions.DistributedClocks"/>, which <see cref="MasterOptions.FromConfig"/> takes from <c>bus.distributed_clocks</c>).
    /// </summary>
    public OpBus BringUp(RtConfig config, long masterTimeNs)
    {
        long cycleNs = config.Loop.RateHz > 0 ? (long)Math.Round(1e9 / config.Loop.RateHz) : 1_000_000;
        return BringUpToPreOp(config.Bus.Slaves).ToSafeOp(masterTimeNs, cycleNs, Startup.BusStartup.FromConfig(config)).ToOp();
    }

    /// <summary>Counts slaves, resets them to INIT, assigns station addresses and reads ESC info and SII.</summary>
    public void Initialize()
    {
        _subDevices.Clear();
        Span<byte> b2 = stackalloc byte[2];
        int count = CountSlaves(b2);

        // Back to INIT with error acknowledge, so a slave left in an error state from an earlier session starts clean.
        BinaryPrimitives.WriteUInt16LittleEndian(b2, (ushort)(AlState.Init) | AlStatus.ErrorBit);
        Bus.Broadcast(EtherCatCommand.Bwr, EscRegister.AlControl, b2);
        Span<byte> clear = stackalloc byte[64];
        clear.Clear();
        Bus.Broadcast(EtherCatCommand.Bwr, EscRegister.Fmmu0, clear[..48]);
        Bus.Broadcast(EtherCatCommand.Bwr, EscRegister.SyncManager0, clear[..32]);

        for (int position = 0; position < count; position++)
        {
            var station = (ushort)(0x1001 + position);
            var addr = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(addr, station);
            Bus.WriteAt(position, EscRegister.StationAddress, addr);
            _subDevices.Add(new SubDevice(position, station));
        }

        var reader = new SiiReader(Bus, Options.EepromTimeoutNs);
        foreach (var s in _subDevices)
        {
            var info = new byte[EscRegister.Features + 2]; // 0x0000..0x0009, indexed by register address
            Bus.Read(s.StationAddress, EscRegister.Type, info);
            s.EscType = info[EscRegister.Type];
            s.FmmuCount = info[EscRegister.FmmuCount];
            s.SyncManagerCount = info[EscRegister.SyncManagerCount];
            s.PortDescriptor = info[EscRegister.PortDescriptor];
            s.Features = BinaryPrimitives.ReadUInt16LittleEndian(info.AsSpan(EscRegister.Features));
            s.Alias = Bus.ReadU16(s.StationAddress, EscRegister.StationAlias);
            s.DlStatus = Bus.ReadU16(s.StationAddress, EscRegister.DlStatus);
            var image = reader.ReadImage(s.StationAddress);
            s.Sii = SiiParser.Parse(image, $"SII of slave at position {s.Position}");
            s.Identity = s.Sii.Identity;
        }
        WaitForState(AlState.Init, null);
    }

    /// <summary>BRD of register 0x0000: its working counter is the number of slaves. None (or no reply at all) is a structured <see cref="BusErrorKind.NoSlaves"/>.</summary>
    private int CountSlaves(Span<byte> b2)
    {
        var r = Bus.Execute(EtherCatCommand.Brd, EtherCatCommands.Physical(0, EscRegister.Type), b2);
        if (!Link.IsUp) throw new EtherCatException(BusErrorKind.LinkDown, "EtherCAT link is down: no carrier on the interface (check the cable)");
        if (!r.Received)
            throw new EtherCatException(BusErrorKind.NoSlaves,
                $"no EtherCAT slave answered: BRD 0x0000 got no reply ({Bus.Options.Retries} attempts of {Bus.Options.ReplyTimeoutNs / 1e6:0.###} ms); check the cable and that the slaves are powered");
        if (r.WorkingCounter == 0)
            throw new EtherCatException(BusErrorKind.NoSlaves, "no EtherCAT slave answered: BRD 0x0000 came back with working counter 0 (the frame returned, but no slave processed it)");
        return r.WorkingCounter;
    }

    /// <summary>Compares each configured identity (vendor/product/revision) with the slave found at its position.</summary>
    public void VerifyIdentities(IReadOnlyList<SlaveIdentityConfig> expected)
    {
        foreach (var e in expected)
        {
            var want = new SlaveIdentity(e.Vendor, e.Product, e.Revision, 0);
            if (e.Position < 0 || e.Position >= _subDevices.Count) throw new IdentityMismatchException(e.Position, want, null);
            var found = _subDevices[e.Position].Identity;
            if (!found.SameDevice(want)) throw new IdentityMismatchException(e.Position, want, found, _subDevices[e.Position].Sii?.General?.DeviceName);
        }
    }

    /// <summary>Configures the mailbox SMs from SII, requests PREOP and reads every slave's PDO mapping.</summary>
    public void ToPreOp()
    {
        foreach (var s in _subDevices)
        {
            var sii = s.Sii!;
            if (!sii.HasMailbox) continue;
            byte c0 = 0x26, c1 = 0x22;
            foreach (var sm in sii.SyncManagers)
            {
                if (sm.Type == SyncManagerType.MailboxOut) c0 = sm.Control;
                if (sm.Type == SyncManagerType.MailboxIn) c1 = sm.Control;
            }
            var regs = new byte[2 * SyncManagerRegisters.Size]; // SM0 and SM1 in one write
            WriteSyncManager(regs, sii.MailboxReceiveOffset, sii.MailboxReceiveSize, c0, true);
            WriteSyncManager(regs.AsSpan(SyncManagerRegisters.Size), sii.MailboxSendOffset, sii.MailboxSendSize, c1, true);
            Bus.Write(s.StationAddress, EscRegister.SyncManager0, regs);
            s.Mailbox = new SlaveMailbox(Bus, s.Position, s.StationAddress, sii.MailboxReceiveOffset, sii.MailboxReceiveSize,
                sii.MailboxSendOffset, sii.MailboxSendSize, Options.MailboxTimeoutNs);
            if ((sii.Protocols & MailboxProtocols.CoE) != 0) s.Sdo = new SdoClient(s.Mailbox);
        }
        RequestState(AlState.PreOp);
        foreach (var s in _subDevices) ReadMapping(s);
    }

    private void ReadMapping(SubDevice s)
    {
        var sii = s.Sii!;
        if (Options.MappingViaCoe && s.Sdo is not null)
        {
            try
            {
                s.RxPdos = PdoMappingReader.ReadAssigned(s.Sdo, 0x1C12, 2, sii);
                s.TxPdos = PdoMappingReader.ReadAssigned(s.Sdo, 0x1C13, 3, sii);
                s.MappingSource = "CoE";
            }
            catch (SdoAbortException abort) when (abort.Abort is SdoAbortCode.ObjectDoesNotExist or SdoAbortCode.SubindexDoesNotExist)
            {
                // Slave has CoE but no PDO assignment objects: the SII description is all there is.
                s.RxPdos = PdoMappingReader.FromSii(sii.RxPdos);
                s.TxPdos = PdoMappingReader.FromSii(sii.TxPdos);
                s.MappingSource = "SII";
            }
        }
        else
        {
            s.RxPdos = PdoMappingReader.FromSii(sii.RxPdos);
            s.TxPdos = PdoMappingReader.FromSii(sii.TxPdos);
            s.MappingSource = s.RxPdos.Count + s.TxPdos.Count > 0 ? "SII" : "none";
        }
        int outBits = 0, inBits = 0;
        foreach (var p in s.RxPdos) outBits += p.BitLength;
        foreach (var p in s.TxPdos) inBits += p.BitLength;
        s.OutputBits = outBits;
        s.InputBits = inBits;
    }

    /// <summary>Lays out the logical image (outputs of all slaves, then inputs), programs SM2/SM3 and FMMUs, builds the cyclic frame.</summary>
    public void ConfigureProcessData()
    {
        int outBytes = 0, inBytes = 0, outSlaves = 0, inSlaves = 0;
        foreach (var s in _subDevices)
        {
            if (s.OutputBytes > 0)
            {
                s.OutputOffset = outBytes;
                outBytes += s.OutputBytes;
                outSlaves++;
            }
        }
        foreach (var s in _subDevices)
        {
            if (s.InputBytes > 0)
            {
                s.InputOffset = outBytes + inBytes;
                inBytes += s.InputBytes;
                inSlaves++;
            }
        }
        var layout = new ProcessDataLayout(Options.LogicalStart, outBytes, inBytes, outSlaves, inSlaves);

        foreach (var s in _subDevices)
        {
            var sii = s.Sii!;
            int fmmu = 0;
            if (s.OutputBytes > 0)
            {
                var (start, control, smIndex) = FindSm(sii, SyncManagerType.Outputs, 2, 0x1100, 0x64);
                s.OutputSmStart = start;
                var sm = new byte[SyncManagerRegisters.Size];
                WriteSyncManager(sm, start, (ushort)s.OutputBytes, control, true);
                Bus.Write(s.StationAddress, EscRegister.SyncManager(smIndex), sm);
                var f = new byte[FmmuRegisters.Size];
                WriteFmmu(f, layout.LogicalStart + (uint)s.OutputOffset, (ushort)s.OutputBytes, start, write: true);
                Bus.Write(s.StationAddress, EscRegister.Fmmu(fmmu++), f);
            }
            if (s.InputBytes > 0)
            {
                var (start, control, smIndex) = FindSm(sii, SyncManagerType.Inputs, 3, 0x1180, 0x20);
                s.InputSmStart = start;
                var sm = new byte[SyncManagerRegisters.Size];
                WriteSyncManager(sm, start, (ushort)s.InputBytes, control, true);
                Bus.Write(s.StationAddress, EscRegister.SyncManager(smIndex), sm);
                var f = new byte[FmmuRegisters.Size];
                WriteFmmu(f, layout.LogicalStart + (uint)s.InputOffset, (ushort)s.InputBytes, start, write: false);
                Bus.Write(s.StationAddress, EscRegister.Fmmu(fmmu++), f);
            }
        }
        Layout = layout;
        var stations = new List<ushort>();
        foreach (var s in _subDevices) stations.Add(s.StationAddress);
        ushort? reference = null;
        if (Options.DistributedClocks)
            foreach (var s in _subDevices)
                if (s.SupportsDc)
                {
                    reference = s.StationAddress;
                    break;
                }
        Cyclic = new CyclicFrame(layout, stations, EthernetHeader.MasterMac, reference);
    }

    /// <summary>Measures propagation delays, writes offsets/delays, compensates static drift, starts SYNC0 at <paramref name="cycleNs"/>.</summary>
    public DcReport? ConfigureDistributedClocks(long masterTimeNs, long cycleNs)
    {
        Dc = DcConfigurator.Configure(Bus, _subDevices, masterTimeNs, cycleNs, Options.DcStaticDriftFrames, Options.Sync0StartLeadNs);
        return Dc;
    }

    /// <summary>Requests <paramref name="target"/> from every slave, one ESM step at a time, and waits for it.</summary>
    public void RequestState(AlState target)
    {
        foreach (var s in _subDevices)
        {
            s.Status = ReadStatus(s);
            if (s.Status.Error) AcknowledgeError(s);
            for (int guard = 0; guard < 4 && s.Status.State != target; guard++)
            {
                var from = s.Status.State is AlState.None ? AlState.Init : s.Status.State;
                var step = AlTransitions.NextStep(from, target);
                Bus.WriteU16(s.StationAddress, EscRegister.AlControl, (ushort)step);
                WaitForState(step, s);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="state"/> to one slave's AL control as is (no ESM stepping) and waits for it; a refusal throws
    /// <see cref="AlStateRefusedException"/> with the AL status code by name (after acknowledging the error).
    /// </summary>
    public void RequestStateDirect(SubDevice s, AlState state)
    {
        Bus.WriteU16(s.StationAddress, EscRegister.AlControl, (ushort)state);
        WaitForState(state, s);
    }

    /// <summary>Reads AL status and code of every slave into <see cref="SubDevice.Status"/>.</summary>
    public void ReadStates()
    {
        foreach (var s in _subDevices) s.Status = ReadStatus(s);
    }

    /// <summary>Reads AL status (0x0130) and AL status code (0x0134) of one slave.</summary>
    public AlStatus ReadStatus(SubDevice s)
    {
        Span<byte> b = stackalloc byte[EscRegister.AlStatusCode + 2 - EscRegister.AlStatus]; // 0x0130..0x0135
        Bus.Read(s.StationAddress, EscRegister.AlStatus, b);
        return new AlStatus(BinaryPrimitives.ReadUInt16LittleEndian(b), BinaryPrimitives.ReadUInt16LittleEndian(b[(EscRegister.AlStatusCode - EscRegister.AlStatus)..]));
    }

    /// <summary>Acknowledges a latched AL error on one slave (AL control = current state | 0x10).</summary>
    public void AcknowledgeError(SubDevice s)
    {
        var st = ReadStatus(s);
        Bus.WriteU16(s.StationAddress, EscRegister.AlControl, (ushort)((ushort)st.State | AlStatus.ErrorBit));
        s.Status = ReadStatus(s);
    }

    private void WaitForState(AlState state, SubDevice? only)
    {
        foreach (var s in _subDevices)
        {
            if (only is not null && s != only) continue;
            AlStatus st = default;
            bool reached = false;
            long deadline = Clock.NowNs + Options.StateTimeoutNs;
            do
            {
                // Slaves only reach OP (and stay in SAFEOP) while process data flows: keep the cycle running.
                if (state >= AlState.SafeOp && Cyclic is not null) Cyclic.Exchange(Link, Clock, Options.CycleReplyTimeoutNs);
                st = ReadStatus(s);
                if (st.Error)
                {
                    s.Status = st;
                    AcknowledgeError(s);
                    throw new AlStateRefusedException(s.Position, s.StationAddress, state, st);
                }
                if (st.State == state)
                {
                    reached = true;
                    break;
                }
            }
            while (Clock.NowNs < deadline);
            s.Status = st;
            if (!reached) throw new AlStateRefusedException(s.Position, s.StationAddress, state, st, $"not reached within {Options.StateTimeoutNs / 1e6:0.###} ms");
        }
    }

    private static (ushort start, byte control, int index) FindSm(SiiInfo sii, SyncManagerType type, int defaultIndex, ushort defaultStart, byte defaultControl)
    {
        for (int i = 0; i < sii.SyncManagers.Count; i++)
            if (sii.SyncManagers[i].Type == type) return (sii.SyncManagers[i].Start, sii.SyncManagers[i].Control, i);
        return (defaultStart, defaultControl, defaultIndex);
    }

    /// <summary>SM register block: start u16, length u16, control u8, status u8 (read-only), activate u8, PDI control u8.</summary>
    public static void WriteSyncManager(Span<byte> regs, ushort start, ushort length, byte control, bool enable)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(regs[SyncManagerRegisters.Start..], start);
        BinaryPrimitives.WriteUInt16LittleEndian(regs[SyncManagerRegisters.Length..], length);
        regs[SyncManagerRegisters.Control] = control;
        regs[SyncManagerRegisters.Status] = 0;
        regs[SyncManagerRegisters.Activate] = (byte)(enable ? 1 : 0);
        regs[SyncManagerRegisters.PdiControl] = 0;
    }

    /// <summary>FMMU register block: logical start u32, length u16, start bit 0, end bit 7, physical start u16, physical bit 0, type (1 read, 2 write), activate.</summary>
    public static void WriteFmmu(Span<byte> regs, uint logical, ushort length, ushort physical, bool write)
    {
        regs[..FmmuRegisters.Size].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(regs[FmmuRegisters.LogicalStart..], logical);
        BinaryPrimitives.WriteUInt16LittleEndian(regs[FmmuRegisters.Length..], length);
        regs[FmmuRegisters.LogicalStartBit] = 0;
        regs[FmmuRegisters.LogicalStopBit] = 7;
        BinaryPrimitives.WriteUInt16LittleEndian(regs[FmmuRegisters.PhysicalStart..], physical);
        regs[FmmuRegisters.PhysicalStartBit] = 0;
        regs[FmmuRegisters.Type] = (byte)(write ? 2 : 1);
        regs[FmmuRegisters.Activate] = 1;
    }
}
