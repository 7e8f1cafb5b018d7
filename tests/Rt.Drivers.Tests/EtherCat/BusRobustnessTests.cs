using System.Buffers.Binary;
using Rt.Core.Faults;
using Rt.Core.Time;
using Rt.Drivers.Capture;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Frame;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Mailbox;
using Rt.Drivers.EtherCat.Sii;
using Rt.Drivers.EtherCat.SubDevices;
using Rt.Drivers.EtherCat.Transport;
using Rt.Hil.Esc.Segment;

namespace Rt.Drivers.Tests.EtherCat;

/// <summary>
/// A link decorator for fault injection: frames queued with <see cref="Inject"/> arrive right after the next send, before
/// the inner link's reply (another host on the segment answering first), <see cref="Rewrite"/> may change every reply,
/// and the last reply is kept.
/// </summary>
internal sealed class TapLink(IEthernetLink inner) : IEthernetLink
{
    private readonly Queue<byte[]> _pending = new();
    private readonly Queue<byte[]> _injected = new();
    public byte[] LastReply { get; private set; } = [];
    public Action<Span<byte>>? Rewrite { get; set; }
    public int Disposed { get; private set; }
    public bool IsUp => inner.IsUp;
    public ReadOnlySpan<byte> MacAddress => inner.MacAddress;
    public IMonotonicClock Clock => inner.Clock;

    public void Inject(byte[] frame) => _pending.Enqueue(frame);

    public bool TrySend(ReadOnlySpan<byte> frame)
    {
        while (_pending.TryDequeue(out var f)) _injected.Enqueue(f);
        return inner.TrySend(frame);
    }

    public int TryReceive(Span<byte> buffer)
    {
        if (_injected.TryDequeue(out var forged))
        {
            forged.CopyTo(buffer);
            return forged.Length;
        }
        int n = inner.TryReceive(buffer);
        if (n > 0)
        {
            Rewrite?.Invoke(buffer[..n]);
            LastReply = buffer[..n].ToArray();
        }
        return n;
    }

    public void Dispose() => Disposed++;
}

/// <summary>Issue 11: timeouts are durations on an injected clock.</summary>
public sealed class BusTimeoutTests
{
    [Theory]
    [InlineData(1_000)]
    [InlineData(37_000)]
    public void The_cyclic_reply_wait_ends_after_its_duration_whatever_a_poll_costs(long nsPerClockRead)
    {
        var b = FieldbusTests.Start(1, 0, dc: false);
        var clock = new ManualClock(1_000_000) { AutoAdvanceNs = nsPerClockRead };
        var fieldbus = new EtherCatFieldbus(b.Op, [0], [], new FieldbusOptions { ReplyTimeoutNs = 500_000, Clock = clock });
        b.Segment.LinkDown = true; // no reply ever comes

        long start = clock.Peek;
        long readsBefore = clock.Reads;
        fieldbus.Exchange(b.State);
        long waited = clock.Peek - start;
        long reads = clock.Reads - readsBefore;

        Assert.True(b.State.Faults.Contains(FaultCode.BusFrameLost));
        // Expired at the first clock reading at or past the deadline: never early, at most one step late.
        Assert.InRange(waited, 500_000, 500_000 + 2 * nsPerClockRead);
        // The number of polls is whatever the clock made it: 500 reads at 1 µs, 15 at 37 µs.
        Assert.Equal((500_000 + nsPerClockRead - 1) / nsPerClockRead + 1, reads);
    }

    /// <summary>Stands still for a number of readings, then jumps far ahead.</summary>
    private sealed class StandingClock(int standForReads) : IMonotonicClock
    {
        public int Reads { get; private set; }
        public long NowNs => ++Reads <= standForReads ? 0 : 10_000_000_000;
    }

    [Fact]
    public void The_cyclic_reply_wait_does_not_expire_while_the_clock_stands_before_the_deadline()
    {
        // 5000 empty polls, five times what used to be the whole budget (1000 polls), are no timeout while time stands.
        var b = FieldbusTests.Start(1, 0, dc: false);
        var clock = new StandingClock(5000);
        var fieldbus = new EtherCatFieldbus(b.Op, [0], [], new FieldbusOptions { ReplyTimeoutNs = 500_000, Clock = clock });
        b.Segment.LinkDown = true;
        fieldbus.Exchange(b.State);
        Assert.Equal(5001, clock.Reads); // the first reading past 5000 ends the wait, not a poll count
        Assert.True(b.State.Faults.Contains(FaultCode.BusFrameLost));
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(250_000)]
    public void A_datagram_reply_timeout_is_a_duration(long nsPerClockRead)
    {
        var segment = EscBenchSegment.Create(1, 0);
        segment.LinkDown = true;
        var clock = new ManualClock { AutoAdvanceNs = nsPerClockRead };
        var bus = new EtherCatTransport(new LoopbackLink(segment), new TransportOptions { ReplyTimeoutNs = 2_000_000, Retries = 1, Clock = clock });
        var r = bus.Execute(EtherCatCommand.Brd, 0, new byte[2]);
        Assert.False(r.Received);
        Assert.Equal(1, bus.LostFrames);
        Assert.InRange(clock.Peek, 2_000_000, 2_000_000 + 2 * nsPerClockRead);
    }

    [Theory]
    [InlineData(5_000)]
    [InlineData(80_000)]
    public void A_mailbox_that_never_answers_times_out_after_its_duration_in_the_loopbacks_time(long frameNs)
    {
        var link = new LoopbackLink(EscBenchSegment.Create(1, 0)) { FrameNs = frameNs };
        var options = BringUpTests.FastOptions();
        options.MailboxTimeoutNs = 30_000_000;
        var master = new EtherCatMaster(link, options);
        master.Initialize();
        master.ToPreOp();
        var mailbox = master.SubDevices[0].Mailbox!;
        long start = link.Clock.Peek;
        long framesBefore = link.FramesSent;
        var e = Assert.Throws<EtherCatException>(() => mailbox.Receive(out _)); // nothing was asked: SM1 stays empty
        long waited = link.Clock.Peek - start;
        Assert.Contains("no mailbox reply within 30 ms", e.Message);
        // Each SM1 status read costs one frame plus one empty poll (the transport drains stale replies first).
        long perRead = frameNs + link.PollNs;
        Assert.InRange(waited, 30_000_000, 30_000_000 + 2 * perRead);
        Assert.InRange(link.FramesSent - framesBefore, 30_000_000 / perRead - 2, 30_000_000 / perRead + 2);
    }

    [Fact]
    public void An_eeprom_that_stays_busy_times_out_after_its_duration()
    {
        var inner = new LoopbackLink(EscBenchSegment.Create(1, 0));
        var tap = new TapLink(inner);
        var master = new EtherCatMaster(tap, BringUpTests.FastOptions());
        master.Initialize();
        var datagrams = new Datagram[8];
        // From now on the EEPROM control/status register (0x0502) always reads busy (bit 15).
        tap.Rewrite = frame =>
        {
            if (FrameReader.TryDecode(frame, datagrams, out int n).IsError) return;
            for (int i = 0; i < n; i++)
                if (datagrams[i].Command == EtherCatCommand.Fprd && datagrams[i].Ado == EscRegister.EepromControl)
                    frame[datagrams[i].DataOffset + 1] |= 0x80;
        };
        var reader = new SiiReader(master.Bus, busyTimeoutNs: 7_000_000);
        long start = inner.Clock.Peek;
        var e = Assert.Throws<EtherCatException>(() => reader.ReadChunk(0x1001, 0, new byte[8]));
        Assert.Contains("stays busy", e.Message);
        Assert.InRange(inner.Clock.Peek - start, 7_000_000, 7_000_000 + 2 * (inner.FrameNs + inner.PollNs));
    }

    [Fact]
    public void A_state_that_is_never_reached_times_out_after_its_duration_as_a_structured_timeout()
    {
        var inner = new LoopbackLink(EscBenchSegment.Create(1, 0));
        var tap = new TapLink(inner);
        var options = BringUpTests.FastOptions();
        options.StateTimeoutNs = 40_000_000;
        var master = new EtherCatMaster(tap, options);
        master.Initialize();
        var datagrams = new Datagram[8];
        // The slave keeps answering INIT without an error: PREOP never comes.
        tap.Rewrite = frame =>
        {
            if (FrameReader.TryDecode(frame, datagrams, out int n).IsError) return;
            for (int i = 0; i < n; i++)
                if (datagrams[i].Command == EtherCatCommand.Fprd && datagrams[i].Ado == EscRegister.AlStatus)
                    frame[datagrams[i].DataOffset] = (byte)AlState.Init;
        };
        long start = inner.Clock.Peek;
        var e = Assert.Throws<AlStateRefusedException>(() => master.RequestStateDirect(master.SubDevices[0], AlState.PreOp));
        Assert.Equal(BusErrorKind.Timeout, e.Kind);
        Assert.Equal(0, e.Position);
        Assert.Contains("not reached within 40 ms", e.Message);
        Assert.InRange(inner.Clock.Peek - start, 40_000_000, 40_000_000 + 4 * (inner.FrameNs + inner.PollNs));
    }
}

/// <summary>Issue 11: a reply is taken only if the whole frame answers the one sent; everything else is rejected and counted.</summary>
public sealed class ForgedReplyTests
{
    public enum Forgery { WrongIndex, WrongCommand, WrongAddress, WrongLength, Unprocessed, NotForUs }

    /// <summary>
    /// A frame shaped like the next cycle's reply (LRW, BRD AL status, FPRD probe, all with the next index, from the
    /// master MAC with the processed bit) whose inputs say 0xBEEF everywhere, then spoiled as <paramref name="how"/> says.
    /// </summary>
    private static byte[] Forge(EtherCatMaster master, byte nextIndex, Forgery? how)
    {
        var layout = master.Layout!;
        var frame = new byte[FrameLayout.MaximumFrameLength];
        var source = EthernetHeader.MasterMac.ToArray();
        if (how != Forgery.Unprocessed) source[0] |= EthernetHeader.ProcessedBit;
        var w = new FrameWriter(frame, source);
        byte index = how == Forgery.WrongIndex ? (byte)(nextIndex + 7) : nextIndex;
        var lrw = how switch
        {
            Forgery.WrongCommand => EtherCatCommand.Lrd,
            _ => EtherCatCommand.Lrw,
        };
        uint logical = how == Forgery.WrongAddress ? layout.LogicalStart + 0x100 : layout.LogicalStart;
        int length = how == Forgery.WrongLength ? layout.TotalBytes + 2 : layout.TotalBytes;
        Assert.True(w.TryAppend(lrw, index, logical, length, out var data, out _));
        for (int i = layout.OutputBytes; i + 1 < length; i += 2) BinaryPrimitives.WriteUInt16LittleEndian(data[i..], 0xBEEF);
        // The drive's error code 0x603F sits after 0x6041 u16, 0x6061 i8, 0x6064 i32, 0x606C i32, 0x6077 i16 in its TxPDO.
        BinaryPrimitives.WriteUInt16LittleEndian(data[(layout.OutputBytes + 13)..], 0xBEEF);
        Assert.True(w.TryAppend(EtherCatCommand.Brd, index, EtherCatCommands.Physical(1, EscRegister.AlStatus), 2, out var brd, out _));
        BinaryPrimitives.WriteUInt16LittleEndian(brd, (ushort)AlState.Op);
        Assert.True(w.TryAppend(EtherCatCommand.Fprd, index, EtherCatCommands.Physical(master.SubDevices[0].StationAddress, EscRegister.AlStatus), 2, out var probe, out _));
        BinaryPrimitives.WriteUInt16LittleEndian(probe, (ushort)AlState.Op);
        int n = w.Finish();
        // Working counters as the real slave would give them.
        var d = new Datagram[4];
        Assert.False(FrameReader.TryDecode(frame.AsSpan(0, n), d, out int count).IsError);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(d[0].WorkingCounterOffset), (ushort)layout.ExpectedWorkingCounter);
        for (int i = 1; i < count; i++) BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(d[i].WorkingCounterOffset), 1);
        if (how == Forgery.NotForUs) frame[EthernetHeader.Source + 5] ^= 0xFF; // another master's processed frame
        return frame.AsSpan(0, n).ToArray();
    }

    private static (TapLink Tap, EtherCatMaster Master, EtherCatFieldbus Fieldbus, Rt.Core.Tick.TickState State) Start()
    {
        var segment = EscBenchSegment.Create(1, 0);
        var tap = new TapLink(new LoopbackLink(segment));
        var options = BringUpTests.FastOptions();
        options.DistributedClocks = false;
        var master = new EtherCatMaster(tap, options);
        var fieldbus = new EtherCatFieldbus(master.BringUp(BringUpTests.BenchIdentities(1, 0), 0, 1_000_000), [0], []);
        var state = new Rt.Core.Tick.TickState(1, 0, new Rt.Core.Divergence.ChannelLayout(["j0"], []));
        EscBenchSegment.Drives(segment)[0].Feedback = new() { Statusword = 0x0237, ErrorCode = 0 };
        fieldbus.Exchange(state);
        Assert.Equal(0, state.Faults.Count);
        return (tap, master, fieldbus, state);
    }

    [Fact]
    public void The_emulated_slaves_mark_the_frames_they_processed_in_the_source_mac()
    {
        var (tap, _, _, _) = Start();
        Assert.Equal(EthernetHeader.MasterMac[0] | EthernetHeader.ProcessedBit, tap.LastReply[EthernetHeader.Source]);
        Assert.True(FrameReader.ProcessedBySlave(tap.LastReply, EthernetHeader.MasterMac));
    }

    [Theory]
    [InlineData(Forgery.WrongIndex)]
    [InlineData(Forgery.WrongCommand)]
    [InlineData(Forgery.WrongAddress)]
    [InlineData(Forgery.WrongLength)]
    [InlineData(Forgery.Unprocessed)]
    [InlineData(Forgery.NotForUs)]
    public void A_forged_reply_that_arrives_first_is_rejected_counted_and_the_real_reply_still_taken(Forgery how)
    {
        var (tap, master, fieldbus, state) = Start();
        byte next = (byte)(tap.LastReply[FrameLayout.FirstDatagramOffset + DatagramHeader.Index] + 1);
        tap.Inject(Forge(master, next, how));
        long rejectedBefore = fieldbus.RejectedFrames;
        long staleBefore = fieldbus.StaleFramesDropped;
        state.Faults.Clear();

        fieldbus.Exchange(state);

        Assert.Equal(rejectedBefore + 1, fieldbus.RejectedFrames);
        Assert.Equal(0, state.Faults.Count);
        Assert.True(state.InputsFresh);
        Assert.Equal(0, state.Image.Inputs[0].ErrorCode); // not 0xBEEF: the slave's own answer was decoded
        Assert.Equal(0x0237, state.Image.Inputs[0].Statusword);
        Assert.Equal(how == Forgery.WrongIndex ? 1 : 0, fieldbus.StaleFramesDropped - staleBefore);
    }

    [Fact]
    public void The_forgery_is_taken_when_nothing_is_spoiled_so_the_rejections_above_are_meaningful()
    {
        // Control: the same frame with every field right IS a reply (EtherCAT has no authentication), so the rejections
        // above are due to the spoiled field and not to a broken forgery.
        var (tap, master, fieldbus, state) = Start();
        byte next = (byte)(tap.LastReply[FrameLayout.FirstDatagramOffset + DatagramHeader.Index] + 1);
        tap.Inject(Forge(master, next, null));
        state.Faults.Clear();
        fieldbus.Exchange(state);
        Assert.Equal(0xBEEF, state.Image.Inputs[0].ErrorCode);
    }

    [Fact]
    public void The_transport_rejects_a_forged_reply_and_takes_the_real_one()
    {
        var link = new TapLink(new LoopbackLink(EscBenchSegment.Create(2, 0)));
        var bus = new EtherCatTransport(link);
        var forged = new byte[64];
        var w = new FrameWriter(forged, EthernetHeader.MasterMac); // processed bit clear: never passed a slave
        Assert.True(w.TryAppend(EtherCatCommand.Brd, 0, EtherCatCommands.Physical(0, 0x0130), 2, out var data, out _));
        data[0] = 0x08;
        int n = w.Finish();
        link.Inject(forged.AsSpan(0, n).ToArray());
        var reply = new byte[2];
        var r = bus.Execute(EtherCatCommand.Brd, EtherCatCommands.Physical(0, 0x0130), reply);
        Assert.True(r.Received);
        Assert.Equal(2, r.WorkingCounter);
        Assert.Equal(0x01, reply[0]); // the slaves are in INIT, not the forged OP
        Assert.Equal(1, bus.RejectedReplies);
        Assert.Equal(FrameErrorKind.NotProcessedBySlave, bus.LastDropReason.Kind);
    }

    [Fact]
    public void Reply_checks_name_the_field_that_differs()
    {
        var sent = new byte[128];
        var w = new FrameWriter(sent, EthernetHeader.MasterMac);
        w.TryAppend(EtherCatCommand.Fprd, 5, EtherCatCommands.Physical(0x1001, 0x0130), 2, out _, out _);
        w.TryAppend(EtherCatCommand.Aprd, 5, EtherCatCommands.AutoIncrement(1, 0x0010), 2, out _, out _);
        int n = w.Finish();
        var request = new Datagram[4];
        FrameReader.TryDecode(sent.AsSpan(0, n), request, out int count);
        var req = request[..count];

        FrameError Check(Action<byte[]> spoil, out ReplyVerdict verdict)
        {
            var reply = sent.AsSpan(0, n).ToArray();
            reply[EthernetHeader.Source] |= EthernetHeader.ProcessedBit;
            spoil(reply);
            verdict = FrameReader.CheckReply(reply, EthernetHeader.MasterMac, req, new Datagram[4], out var error);
            return error;
        }
        int second = FrameLayout.FirstDatagramOffset + DatagramHeader.Size + 2 + DatagramHeader.WorkingCounterSize;

        Assert.False(Check(_ => { }, out var ok).IsError);
        Assert.Equal(ReplyVerdict.Accepted, ok);
        // Auto-increment: every slave increments ADP on the way; a changed ADP is still the reply.
        Check(r => r[second + DatagramHeader.Adp] += 2, out var moved);
        Assert.Equal(ReplyVerdict.Accepted, moved);
        var e = Check(r => r[FrameLayout.FirstDatagramOffset + DatagramHeader.Adp] ^= 1, out var v);
        Assert.Equal((ReplyVerdict.Rejected, ReplyMismatchDetail.Address), (v, e.Detail));
        e = Check(r => r[second + DatagramHeader.Ado] ^= 1, out v);
        Assert.Equal((ReplyVerdict.Rejected, ReplyMismatchDetail.Address), (v, e.Detail));
        e = Check(r => r[second + DatagramHeader.Command] = (byte)EtherCatCommand.Aprw, out v);
        Assert.Equal((ReplyVerdict.Rejected, ReplyMismatchDetail.Command), (v, e.Detail));
        e = Check(r => r[second + DatagramHeader.Index] = 6, out v);
        Assert.Equal((ReplyVerdict.Stale, ReplyMismatchDetail.Index), (v, e.Detail));
        e = Check(r => r[EthernetHeader.Source] &= unchecked((byte)~EthernetHeader.ProcessedBit), out v);
        Assert.Equal((ReplyVerdict.Rejected, FrameErrorKind.NotProcessedBySlave), (v, e.Kind));
        Assert.Contains("did not pass a slave", e.ToString());
    }
}

/// <summary>Issue 11: a refused send is a lost frame, under the same budget as a missing reply.</summary>
public sealed class SendFailureTests
{
    [Fact]
    public void A_refused_send_counts_against_the_frame_loss_budget_like_a_missing_reply()
    {
        var b = FieldbusTests.Start(1, 0, dc: false);
        var fieldbus = new EtherCatFieldbus(b.Op, [0], [], new FieldbusOptions { FrameLossBudget = 2 });
        var raised = new List<bool>();
        void Cycle()
        {
            b.State.Faults.Clear();
            fieldbus.Exchange(b.State);
            raised.Add(b.State.Faults.Contains(FaultCode.BusFrameLost));
            Assert.False(b.State.Faults.Contains(FaultCode.BusLinkDown));
        }
        b.Link.RefuseNextSends = 3;
        for (int i = 0; i < 4; i++) Cycle();
        Assert.Equal(new[] { false, false, true, false }, raised);
        Assert.Equal(3, fieldbus.LostFrames);
        Assert.Equal(3, fieldbus.SendFailures);

        // Mixed: a refused send and a missing reply add up in the same consecutive count.
        raised.Clear();
        b.Link.RefuseNextSends = 1;
        Cycle();
        b.Link.DropNextReplies = 1;
        Cycle();
        b.Link.RefuseNextSends = 1;
        Cycle();
        Assert.Equal(new[] { false, false, true }, raised);
        var f = b.State.Faults.Items.ToArray().Single(x => x.Code == FaultCode.BusFrameLost);
        Assert.Equal(3, f.Value);
    }

    [Fact]
    public void A_refused_send_with_the_link_down_is_still_link_down()
    {
        var b = FieldbusTests.Start(1, 0, dc: false);
        b.Link.IsUp = false;
        b.Fieldbus.Exchange(b.State);
        Assert.True(b.State.Faults.Contains(FaultCode.BusLinkDown));
        Assert.False(b.State.Faults.Contains(FaultCode.BusFrameLost));
    }
}

/// <summary>Issue 11: capture disposal is idempotent (rt scan --capture ended in ObjectDisposedException).</summary>
public sealed class CaptureDisposeTests
{
    [Fact]
    public void Disposing_a_capture_and_then_its_link_again_is_harmless_and_the_file_is_complete()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rt-dispose-{Environment.ProcessId}-{Guid.NewGuid():N}.pcapng");
        try
        {
            var inner = new TapLink(new LoopbackLink(EscBenchSegment.Create(1, 0)));
            IEthernetLink link = inner;
            var capture = new CapturingLink(link, PcapngWriter.Create(path), () => 0);
            link = capture;
            var bus = new EtherCatTransport(link);
            Assert.True(bus.Execute(EtherCatCommand.Brd, 0, new byte[2]).Received);
            capture.Drain();
            capture.Dispose();
            link.Dispose(); // what rt scan did: the same object a second time
            Assert.Equal(1, inner.Disposed);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(0x0A0D0D0Au, BinaryPrimitives.ReadUInt32LittleEndian(bytes));
            Assert.True(bytes.Length > 28 + 32 + 2 * 60, $"capture holds {bytes.Length} bytes");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Pcapng_writer_dispose_is_idempotent_and_writing_after_it_says_disposed()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rt-dispose-{Environment.ProcessId}-{Guid.NewGuid():N}.pcapng");
        try
        {
            var w = PcapngWriter.Create(path);
            w.Dispose();
            w.Dispose();
            Assert.Throws<ObjectDisposedException>(() => w.WriteFrame(new byte[60], 0, FrameDirection.Inbound));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>Issue 11: a bus that contradicts the config, or has no slaves, is a structured error the CLI maps to exit 2 / 3.</summary>
public sealed class BusErrorTests
{
    [Fact]
    public void An_empty_line_is_no_slaves_not_a_config_mismatch()
    {
        using var link = new LoopbackLink(new EscSegment([]));
        var e = Assert.Throws<EtherCatException>(new EtherCatMaster(link, BringUpTests.FastOptions()).Initialize);
        Assert.Equal(BusErrorKind.NoSlaves, e.Kind);
        Assert.False(e.IsConfigMismatch);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void A_segment_that_never_answers_is_no_slaves_with_the_wait_it_gave()
    {
        var segment = EscBenchSegment.Create(1, 0);
        segment.LinkDown = true; // the frames vanish, as on a NIC with nothing behind it
        using var link = new LoopbackLink(segment);
        var e = Assert.Throws<EtherCatException>(new EtherCatMaster(link, BringUpTests.FastOptions()).Initialize);
        Assert.Equal(BusErrorKind.NoSlaves, e.Kind);
        Assert.Contains("BRD 0x0000 got no reply (3 attempts of 50 ms)", e.Message);
    }

    [Fact]
    public void A_link_without_carrier_is_link_down()
    {
        using var link = new LoopbackLink(EscBenchSegment.Create(1, 0)) { IsUp = false };
        var e = Assert.Throws<EtherCatException>(new EtherCatMaster(link, BringUpTests.FastOptions()).Initialize);
        Assert.Equal(BusErrorKind.LinkDown, e.Kind);
    }

    [Fact]
    public void A_wrong_identity_is_a_config_mismatch_with_position_expected_and_received()
    {
        using var link = new LoopbackLink(EscBenchSegment.Create(1, 1));
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        var e = Assert.Throws<IdentityMismatchException>(() => master.BringUp(BringUpTests.BenchIdentities(2, 0), 0, 1_000_000));
        Assert.Equal(BusErrorKind.ConfigMismatch, e.Kind);
        Assert.True(e.IsConfigMismatch);
        Assert.Equal(1, e.Position);
        Assert.Equal(0x00000402u, e.Expected.Product);
        Assert.Equal(0x00000100u, e.Found!.Value.Product);
        Assert.Matches("^slave at position 1: identity mismatch: expected vendor 0x00000E7A product 0x00000402 revision 0x00010000, received vendor 0x00000E7A product 0x00000100 revision 0x00010000( \\('.+'\\))?; refusing OP$", e.Message);
    }

    [Fact]
    public void A_config_naming_a_drive_position_past_the_bus_is_a_config_mismatch()
    {
        var b = FieldbusTests.Start(1, 0, dc: false);
        var e = Assert.Throws<EtherCatException>(() => new EtherCatFieldbus(b.Op, [0, 1], []));
        Assert.Equal(BusErrorKind.ConfigMismatch, e.Kind);
        Assert.Equal(1, e.Position);
    }

    [Fact]
    public void A_refused_state_names_the_al_status_code_and_is_a_device_refusal()
    {
        using var link = new LoopbackLink(EscBenchSegment.Create(1, 0));
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        master.Initialize();
        var e = Assert.Throws<AlStateRefusedException>(() => master.RequestStateDirect(master.SubDevices[0], AlState.SafeOp));
        Assert.Equal(BusErrorKind.DeviceRefused, e.Kind);
        Assert.Equal(0, e.Position);
        Assert.Equal(AlStatusCode.InvalidRequestedStateChange, e.Code);
        Assert.Contains("invalid requested state change", e.Message);
    }
}

/// <summary>Issue 11: bring-up typestate — process data can only be exchanged on a bus handed out in OP.</summary>
public sealed class BusStateTests
{
    [Fact]
    public void Bring_up_steps_through_preop_safeop_and_op_handles_and_only_op_builds_a_fieldbus()
    {
        using var link = new LoopbackLink(EscBenchSegment.Create(1, 1));
        var master = new EtherCatMaster(link, BringUpTests.FastOptions());
        var preOp = master.BringUpToPreOp(BringUpTests.BenchIdentities(1, 1));
        Assert.All(preOp.SubDevices, s => Assert.Equal(AlState.PreOp, s.Status.State));
        var safeOp = preOp.ToSafeOp(0, 1_000_000);
        Assert.All(safeOp.SubDevices, s => Assert.Equal(AlState.SafeOp, s.Status.State));
        var op = safeOp.ToOp();
        Assert.All(op.SubDevices, s => Assert.Equal(AlState.Op, s.Status.State));
        var state = new Rt.Core.Tick.TickState(1, 1, new Rt.Core.Divergence.ChannelLayout(["j0"], ["imu"]));
        new EtherCatFieldbus(op, [0], [1]).Exchange(state);
        Assert.Equal(0, state.Faults.Count);

        // Every public way to build the tick's fieldbus asks for an OpBus (a master or an earlier state does not compile).
        var ctors = typeof(EtherCatFieldbus).GetConstructors();
        Assert.NotEmpty(ctors);
        Assert.All(ctors, c => Assert.Equal(typeof(OpBus), c.GetParameters()[0].ParameterType));
        Assert.Equal(typeof(OpBus), typeof(EtherCatFieldbus).GetMethod(nameof(EtherCatFieldbus.FromConfig))!.GetParameters()[0].ParameterType);
        Assert.Empty(typeof(OpBus).GetConstructors()); // handed out by bring-up only
    }
}
