using Rt.Core.Config;
using Rt.Core.Faults;
using Rt.Core.Tick;
using Rt.Core.Time;
using Rt.Core.ProcessData;
using Rt.Drivers.Cia402;
using Rt.Drivers.EtherCat.CoE;
using Rt.Drivers.EtherCat.Devices;
using Rt.Drivers.EtherCat.DistributedClocks;
using Rt.Drivers.EtherCat.ProcessData;
using Rt.Drivers.EtherCat.SubDevices;

namespace Rt.Drivers.EtherCat;

/// <summary>Cyclic-exchange settings.</summary>
public sealed class FieldbusOptions
{
    /// <summary>Share of the tick period the tick waits for the cyclic frame's reply (the rest is for the pipeline).</summary>
    public const double DefaultReplyShareOfPeriod = 0.5;

    /// <summary>How long the tick waits for the cyclic frame's reply before the frame counts as lost (default: half of a 1 ms period).</summary>
    public long ReplyTimeoutNs { get; set; } = 500_000;

    /// <summary>The clock the reply wait runs on; null = the link's (<see cref="Link.IEthernetLink.Clock"/>: CLOCK_MONOTONIC, or a loopback's virtual time).</summary>
    public IMonotonicClock? Clock { get; set; }

    /// <summary>Consecutive bad cycles (lost frame, refused send or wrong WKC) tolerated silently (still counted) before faults are raised; 0 = raise every one.</summary>
    public int FrameLossBudget { get; set; }

    /// <summary>
    /// Master DC-sync mode: the bus cycle (= SYNC0 cycle) the fieldbus locks to the DC reference clock with
    /// <see cref="DcMasterSync"/> (0 = off). The phase the frame should pass the reference at is <see cref="DcShiftNs"/>.
    /// </summary>
    public long DcCycleNs { get; set; }

    /// <summary>Where in the reference's cycle the frame should pass it, ns after SYNC0 (default: half the cycle).</summary>
    public long? DcShiftNs { get; set; }

    /// <summary>The reply wait for a tick of <paramref name="periodNs"/>: <see cref="DefaultReplyShareOfPeriod"/> of it.</summary>
    public static long ReplyTimeoutFor(long periodNs) => (long)(periodNs * DefaultReplyShareOfPeriod);

    /// <summary>Options for the loop in <paramref name="config"/>: reply wait from <c>loop.rate_hz</c>, budget from <c>bus.frame_loss_budget</c>. Not real-time safe.</summary>
    public static FieldbusOptions FromConfig(RtConfig config) => new()
    {
        ReplyTimeoutNs = ReplyTimeoutFor(config.Loop.RateHz > 0 ? (long)Math.Round(1e9 / config.Loop.RateHz) : 1_000_000),
        FrameLossBudget = config.Bus.FrameLossBudget,
        DcCycleNs = config.Bus.DistributedClocks && config.Loop.RateHz > 0 ? (long)Math.Round(1e9 / config.Loop.RateHz) : 0,
    };
}

/// <summary>
/// The EtherCAT process-data exchange as the tick's <see cref="IFieldbus"/>: encodes every joint drive's outputs into the
/// preallocated LRW frame, sends it, polls for the reply (bounded), checks the working counter and the AL status
/// (BRD 0x0130 plus an FPRD of 0x0130 per slave in the same frame, so the tick that sees a slave leave OP names it), and
/// decodes drive and IMU inputs into the process image. Problems become <see cref="Fault"/> values in
/// <see cref="TickState.Faults"/> — never exceptions: BusLinkDown, BusFrameLost, BusWorkingCounter (expected/received;
/// source = the first slave that stopped answering its probe, else −1), BusSlaveLeftOp (source = bus position of the
/// first slave out of OP, received = its AL status; −1 and the BRD's OR when no probe has named one yet). Inputs are left
/// unchanged when the frame is lost or the WKC is wrong. The reply wait is <see cref="FieldbusOptions.ReplyTimeoutNs"/> on
/// an injected clock. A refused send and a missing reply are the same thing to the robot (no fresh inputs) and count
/// against the same <see cref="FieldbusOptions.FrameLossBudget"/>.
/// Construction: not real-time safe. <see cref="Exchange"/>: real-time safe, allocation-free.
/// </summary>
public sealed class EtherCatFieldbus : IFieldbus
{
    private readonly EtherCatMaster _master;
    private readonly CyclicFrame _frame;
    private readonly Cia402Codec[] _drives;
    private readonly int[] _driveOut, _driveOutLen, _driveIn, _driveInLen;
    private readonly ImuPdoCodec[] _imus;
    private readonly int[] _imuIn, _imuInLen;
    private readonly int[] _imuPosition;
    private int _consecutiveBad;
    private readonly IMonotonicClock _clock;
    private readonly DcMasterSync? _dcSync;

    /// <param name="bus">The bus brought up to OP (<see cref="EtherCatMaster.BringUp(RtConfig, long)"/>).</param>
    /// <param name="driveBusPositions">Per joint (robot joint order): bus position of its drive.</param>
    /// <param name="imuBusPositions">Per IMU (config order): bus position of its slave.</param>
    /// <param name="joints">Per joint (same order): its config, for the mode (which objects are mandatory, 0x6060 by SDO
    /// when not mapped), names in messages and the scaling cross-check; null = CSP, no cross-check.</param>
    public EtherCatFieldbus(OpBus bus, IReadOnlyList<int> driveBusPositions, IReadOnlyList<int> imuBusPositions, FieldbusOptions? options = null,
        IReadOnlyList<JointDriveConfig>? joints = null)
    {
        var master = bus.Master;
        _master = master;
        Options = options ?? new FieldbusOptions();
        _clock = Options.Clock ?? master.Link.Clock;
        _frame = bus.Cyclic;
        if (Options.DcCycleNs > 0 && master.Dc is not null)
            _dcSync = new DcMasterSync(Options.DcCycleNs, Options.DcShiftNs ?? Options.DcCycleNs / 2);
        var slaves = master.SubDevices;
        int n = driveBusPositions.Count;
        _drives = new Cia402Codec[n];
        Feedback = new DriveFeedback[n];
        _driveOut = new int[n];
        _driveOutLen = new int[n];
        _driveIn = new int[n];
        _driveInLen = new int[n];
        DriveMaxTorque = new ushort[n];
        for (int j = 0; j < n; j++)
        {
            var s = Slave(slaves, driveBusPositions[j], $"joint {j}");
            var joint = joints is not null && j < joints.Count ? joints[j] : null;
            string who = joint is null
                ? $"drive of joint {j} at bus position {s.Position}"
                : $"joint {joint.Name} (drive at bus position {s.Position}, {s.Identity})";
            if (s.OutputOffset < 0 || s.InputOffset < 0) throw new EtherCatException(BusErrorKind.ConfigMismatch, $"{who}: slave has no outputs or no inputs mapped ({s.Identity})", s.Position);
            _drives[j] = new Cia402Codec(s.RxPdos, s.TxPdos, joint?.Mode ?? JointMode.Csp, who, s.Position);
            Feedback[j] = _drives[j].Feedback;
            if (joint is not null) PrepareDrive(s, joint, _drives[j], who);
            DriveMaxTorque[j] = s.CommissionedMaxTorquePerMille ?? 0;
            if (joint is not null && s.CommissionedMaxTorquePerMille == 0)
                _notes.Add($"note: slave {s.Position} (joint {joint.Name}) reads 0 ‰ in its own 0x6072 max torque (left by a cyclic frame, or not commissioned): no drive ceiling, the host writes the configured limits (docs/SAFETY.md)");
            if (joint is not null && !_drives[j].MapsMaxTorque)
                _notes.Add($"warning: slave {s.Position} (joint {joint.Name}) does not map 0x6072 max torque in its RxPDO: the collision hold cannot limit torque on it (the drive's own 0x6072 stays its limit; docs/SAFETY.md)");
            _driveOut[j] = s.OutputOffset;
            _driveOutLen[j] = s.OutputBytes;
            _driveIn[j] = s.InputOffset;
            _driveInLen[j] = s.InputBytes;
        }
        _slaveNames = new string?[slaves.Count];
        if (joints is not null)
            for (int j = 0; j < n && j < joints.Count; j++) _slaveNames[driveBusPositions[j]] = joints[j].Name;
        int m = imuBusPositions.Count;
        _imus = new ImuPdoCodec[m];
        _imuIn = new int[m];
        _imuInLen = new int[m];
        _imuPosition = new int[m];
        for (int k = 0; k < m; k++)
        {
            var s = Slave(slaves, imuBusPositions[k], $"IMU {k}");
            string who = $"IMU {k} at bus position {s.Position}";
            if (s.InputOffset < 0) throw new EtherCatException(BusErrorKind.ConfigMismatch, $"{who}: slave has no inputs mapped ({s.Identity})", s.Position);
            _imus[k] = new ImuPdoCodec(s.TxPdos, who);
            _imuIn[k] = s.InputOffset;
            _imuInLen[k] = s.InputBytes;
            _imuPosition[k] = s.Position;
        }
    }

    private readonly string?[] _slaveNames;

    /// <summary>
    /// A bus position by the robot's names, for messages: "slave 13 (l_foot_imu)", or "slave 13" for a slave no joint or
    /// IMU uses, "slave −1 (not named)" for a fault no probe could place. Not real-time safe (builds a string).
    /// </summary>
    public string SlaveName(int position) =>
        position < 0 ? $"slave {position} (not named)"
        : position < _slaveNames.Length && _slaveNames[position] is { } name ? $"slave {position} ({name})" : $"slave {position}";

    /// <summary>Per joint: the optional feedback objects its drive maps (copy into <see cref="ProcessImage.Feedback"/>).</summary>
    public DriveFeedback[] Feedback { get; }

    /// <summary>
    /// Per joint: its drive's own 0x6072 max torque (‰ of rated) read in PREOP (<see cref="SubDevice.CommissionedMaxTorquePerMille"/>),
    /// 0 where not known. The host's 0x6072 (motion clamp, collision hold) never exceeds it.
    /// </summary>
    public ushort[] DriveMaxTorque { get; }

    /// <summary>Per joint: its codec (mode, mapped objects).</summary>
    public IReadOnlyList<Cia402Codec> Drives => _drives;

    /// <summary>Prepare-time findings worth a start-up line (scaling cross-checked against the drive, mode set by SDO, a drive the collision hold cannot limit).</summary>
    public IReadOnlyList<string> Notes => _notes;

    private readonly List<string> _notes = [];

    /// <summary>
    /// Prepare time, over the mailbox: sets 0x6060 by SDO when the drive does not map it (so the drive runs the joint's
    /// mode), and cross-checks the config's scaling against the drive's own objects (<see cref="DriveScalingCheck"/>).
    /// A mismatch refuses the bus (ConfigMismatch). Drives without CoE are taken as configured. Not real-time safe.
    /// </summary>
    private void PrepareDrive(SubDevice s, JointDriveConfig joint, Cia402Codec codec, string who)
    {
        if (s.Sdo is not { } sdo) return;
        if (!codec.MapsModeOfOperation)
        {
            sbyte mode = JointModeRules.Cia402Value(joint.Mode);
            try
            {
                sdo.Download(0x6060, 0, [unchecked((byte)mode)]);
            }
            catch (SdoAbortException e)
            {
                throw new EtherCatException(BusErrorKind.DeviceRefused, $"{who}: the drive does not map 0x6060 and refused it by SDO ({e.Message}); mode {joint.Mode.ToString().ToLowerInvariant()} cannot be set", s.Position, e);
            }
            _notes.Add($"bus: joint {joint.Name}: 0x6060 not in the PDO mapping; mode {mode} set by SDO");
        }
        var check = DriveScalingCheck.Check(joint, who, (index, sub) =>
        {
            try
            {
                return sdo.Upload(index, sub);
            }
            catch (SdoAbortException e) when (e.Abort is SdoAbortCode.ObjectDoesNotExist or SdoAbortCode.SubindexDoesNotExist)
            {
                return null;
            }
        });
        if (!check.Ok) throw new EtherCatException(BusErrorKind.ConfigMismatch, check.Mismatches[0], s.Position);
        if (check.Checked.Count > 0) _notes.Add($"bus: joint {joint.Name}: scaling agrees with the drive ({string.Join(", ", check.Checked)})");
    }

    /// <summary>Builds the fieldbus from the config's joint drive positions and IMU device positions. Not real-time safe.</summary>
    public static EtherCatFieldbus FromConfig(OpBus bus, RtConfig config, FieldbusOptions? options = null)
    {
        var drives = new List<int>();
        foreach (var j in config.Joints) drives.Add(j.Drive);
        var imus = new List<int>();
        foreach (var i in config.Imus) imus.Add(i.Device);
        options ??= FieldbusOptions.FromConfig(config);
        var fieldbus = new EtherCatFieldbus(bus, drives, imus, options, config.Joints);
        for (int k = 0; k < config.Imus.Count; k++)
            if (imus[k] >= 0 && imus[k] < fieldbus._slaveNames.Length) fieldbus._slaveNames[imus[k]] = config.Imus[k].Name;
        return fieldbus;
    }

    public FieldbusOptions Options { get; }

    /// <summary>Cycles exchanged.</summary>
    public long Cycles { get; private set; }
    public long LostFrames { get; private set; }
    public long WorkingCounterErrors { get; private set; }
    public long LinkDownCycles { get; private set; }

    /// <summary>Sends the link refused while up (counted in <see cref="LostFrames"/> too).</summary>
    public long SendFailures { get; private set; }

    /// <summary>Late replies of earlier cycles recognised by datagram index and dropped.</summary>
    public long StaleFramesDropped => _frame.StaleTotal;

    /// <summary>
    /// Every received frame not taken as a cycle's reply: late ones (<see cref="StaleFramesDropped"/>) and frames that
    /// do not match the frame sent in every datagram, or never passed a slave — e.g. forged by another host.
    /// </summary>
    public long RejectedFrames => _frame.RejectedTotal;

    /// <summary>The last cycle's raw result (WKC, AL status, reference time).</summary>
    public CyclicResult Last { get; private set; }

    /// <summary>The reference clock's system time from the last cycle's FRMW (ns since 2000), 0 without DC.</summary>
    public ulong ReferenceTimeNs => Last.ReferenceTimeNs;

    /// <summary>
    /// Master DC-sync mode (<see cref="FieldbusOptions.DcCycleNs"/>): ns to add to the next tick period so the cycle
    /// stays locked to the DC reference clock (0 without DC sync). The scheduler applies it; real-time safe to read.
    /// </summary>
    public long DcPeriodCorrectionNs { get; private set; }

    /// <summary><see cref="DcPeriodCorrectionNs"/> as a method, for <c>RealtimeOptions.PeriodCorrectionNs</c> (a delegate made once, before the loop). Real-time safe.</summary>
    public long ReadDcPeriodCorrectionNs() => DcPeriodCorrectionNs;

    /// <summary>The last phase error of the cycle against the reference clock, ns (0 without DC sync).</summary>
    public long DcPhaseErrorNs => _dcSync?.PhaseErrorNs ?? 0;

    /// <summary>Real-time safe: one frame out, one in, no allocation, faults as values.</summary>
    public void Exchange(TickState state)
    {
        Cycles++;
        state.InputsFresh = false; // until a good reply is decoded below
        var image = state.Image;
        var outputs = _frame.Outputs;
        for (int j = 0; j < _drives.Length; j++)
            _drives[j].Encode(in image.Outputs[j], outputs.Slice(_driveOut[j], _driveOutLen[j]));

        // Always try to send: a raw socket learns that its link is back only from a send that succeeds.
        var link = _master.Link;
        var r = _frame.Exchange(link, _clock, Options.ReplyTimeoutNs);
        Last = r;
        if (_dcSync is not null) DcPeriodCorrectionNs = _dcSync.Update(r.Received ? r.ReferenceTimeNs : 0);
        if (r.SendFailed && !link.IsUp)
        {
            LinkDownCycles++;
            state.Faults.Add(Fault.Of(FaultCode.BusLinkDown, -1, state.Tick));
            return;
        }
        if (!r.Received)
        {
            // A refused send (queue full, transient error) loses the frame just as a missing reply does: same budget.
            if (r.SendFailed) SendFailures++;
            LostFrames++;
            if (++_consecutiveBad > Options.FrameLossBudget)
                state.Faults.Add(Fault.Of(FaultCode.BusFrameLost, -1, state.Tick, expected: 1, received: 0, value: _consecutiveBad));
            return;
        }
        if (r.LrwWorkingCounter != r.ExpectedWorkingCounter)
        {
            WorkingCounterErrors++;
            if (++_consecutiveBad > Options.FrameLossBudget)
                state.Faults.Add(Fault.Of(FaultCode.BusWorkingCounter, r.FirstSilentPosition, state.Tick, r.ExpectedWorkingCounter, r.LrwWorkingCounter, _consecutiveBad));
        }
        else
        {
            _consecutiveBad = 0;
            state.InputsFresh = true;
            var reply = _frame.ReplyImage;
            var inputs = image.Inputs;
            for (int j = 0; j < _drives.Length; j++)
                _drives[j].Decode(reply.Slice(_driveIn[j], _driveInLen[j]), ref inputs[j]);
            var imus = image.Imus;
            for (int k = 0; k < _imus.Length; k++)
                _imus[k].Decode(reply.Slice(_imuIn[k], _imuInLen[k]), ref imus[k]);
        }

        // AL status: the BRD shows that some slave is not in OP; the per-slave probes of the same frame name which
        // (the lowest position, with its own status, which the safety event carries as its value).
        if ((r.AlStatusOr & CyclicFrame.AlStatusStateMask) != (ushort)AlState.Op)
        {
            bool named = r.FirstNotOpPosition >= 0;
            state.Faults.Add(Fault.Of(FaultCode.BusSlaveLeftOp, r.FirstNotOpPosition, state.Tick, (int)AlState.Op,
                named ? r.FirstNotOpStatus : r.AlStatusOr));
        }
    }

    private static SubDevice Slave(IReadOnlyList<SubDevice> slaves, int position, string what)
    {
        if (position < 0 || position >= slaves.Count)
            throw new EtherCatException(BusErrorKind.ConfigMismatch, $"{what}: bus position {position} does not exist ({slaves.Count} slaves found)", position);
        return slaves[position];
    }
}
