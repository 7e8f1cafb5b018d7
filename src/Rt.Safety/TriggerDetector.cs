using System.Runtime.CompilerServices;
using Rt.Core.Faults;
using Rt.Core.Hardware;
using Rt.Core.ProcessData;
using Rt.Core.Tick;

namespace Rt.Safety;

/// <summary>
/// Trigger detection: each tick, reads the faults other stages raised and the measured state, counts every trigger's
/// condition per channel, and confirms it after its discrepancy count (once per episode). Warnings are emitted here;
/// the strongest newly confirmed stop is left in <see cref="Trip"/> for the state table. Also remembers which
/// triggers' conditions still hold, for reset arbitration. Real-time safe after construction.
/// </summary>
internal sealed class TriggerDetector
{
    private const ushort StatuswordFault = 0x0008; // CiA 402 statusword bit 3
    private const ushort ImuBadStatus = (ushort)(ImuStatus.AccelSaturated | ImuStatus.GyroSaturated | ImuStatus.SelfTestFailed);

    private readonly SupervisorLimits _l;
    private readonly SafetyEventSink _events;

    // The limits' arrays, held here too: one load less per access in the per-joint loop.
    private readonly double[] _posMin, _posMax, _velMax, _torqueMax, _followMax, _collisionMax;
    private readonly int[] _discrepancy, _imuStaleTicks;
    private readonly int _joints;
    private readonly IDigitalInput? _estopInput;

    // Per trigger, per channel: consecutive ticks the condition held; faults from other stages this tick.
    private readonly int[][] _count = new int[SafetyTriggers.Count][];
    private readonly bool[][] _listHit = new bool[SafetyTriggers.Count][];
    private readonly double[][] _listValue = new double[SafetyTriggers.Count][];
    private readonly short[] _listSource = new short[SafetyTriggers.Count]; // first fault's source (slave, IMU…) per trigger

    // Per trigger: whether its condition holds this tick, and the first channel's cause.
    private readonly bool[] _active = new bool[SafetyTriggers.Count];
    private readonly short[] _activeChannel = new short[SafetyTriggers.Count];
    private readonly double[] _activeValue = new double[SafetyTriggers.Count];
    private readonly double[] _activeThreshold = new double[SafetyTriggers.Count];

    // IMU stale detection.
    private readonly ushort[] _imuLastCounter;
    private readonly int[] _imuSameTicks;
    private bool _imuSeen;

    private SafetyState _state;

    // This tick's isolation of the twin's divergence (issue 13), copied from the record.
    private FaultDiagnosis _twinDiagnosis;

    public TriggerDetector(SupervisorLimits limits, SafetyEventSink events, IDigitalInput? estopInput)
    {
        _l = limits;
        _events = events;
        (_posMin, _posMax, _velMax, _torqueMax, _followMax, _collisionMax) =
            (limits.PosMin, limits.PosMax, limits.VelMax, limits.TorqueMax, limits.FollowMax, limits.CollisionMax);
        (_discrepancy, _imuStaleTicks, _joints) = (limits.Discrepancy, limits.ImuStaleTicks, limits.Joints);
        _estopInput = estopInput;
        for (int t = 0; t < SafetyTriggers.Count; t++)
        {
            int width = limits.Width((SafetyTrigger)t);
            _count[t] = new int[width];
            _listHit[t] = new bool[width];
            _listValue[t] = new double[width];
        }
        _imuLastCounter = new ushort[limits.Imus];
        _imuSameTicks = new int[limits.Imus];
    }

    /// <summary>The strongest stop confirmed this tick (reaction None = none).</summary>
    public Trip Trip { get; private set; }

    /// <summary>Whether another stage reported a drive fault on joint <paramref name="j"/> this tick.</summary>
    public bool DriveFaultReported(int j) => _listHit[(int)SafetyTrigger.DriveFault][j];

    /// <summary>
    /// The first stop trigger whose condition still holds, i.e. a reason to refuse a reset. Drive faults are excluded:
    /// clearing them needs the reset itself (checked while Resetting).
    /// </summary>
    public bool TryFindPersistingCause(out SafetyCause cause)
    {
        for (int t = 0; t < SafetyTriggers.Count; t++)
        {
            if (!_active[t] || _l.Reaction[t] == StopCategory.Warning || t == (int)SafetyTrigger.DriveFault) continue;
            cause = new SafetyCause(SafetyTriggers.Code((SafetyTrigger)t), _activeChannel[t], _activeValue[t], _activeThreshold[t]);
            return true;
        }
        cause = default;
        return false;
    }

    /// <summary>
    /// Whether no stop trigger's condition holds except <paramref name="allowed"/>'s (recovery by hand: a joint outside its
    /// range may be jogged back while nothing else is wrong). Real-time safe.
    /// </summary>
    public bool PersistsOnly(SafetyTrigger allowed)
    {
        for (int t = 0; t < SafetyTriggers.Count; t++)
            if (_active[t] && _l.Reaction[t] != StopCategory.Warning && t != (int)allowed) return false;
        return true;
    }

    /// <summary>
    /// One tick of detection; <paramref name="enablingSince"/> times the drives' enable. While a stop is in progress
    /// (Stopping, Holding) the drives follow the stop's targets, not the controller's, so the following error is
    /// measured against <paramref name="stopTargets"/> (what the stop sent last).
    /// </summary>
    /// <param name="manualTargets">While the manual mode (jog) powers the drives: the targets it sent last tick, against
    /// which the following error is measured; null otherwise.</param>
    public void Detect(TickState s, SafetyState state, long tick, long enablingSince, double[] stopTargets, double[]? manualTargets = null)
    {
        bool stopping = state is SafetyState.Stopping or SafetyState.Holding;
        _state = state;
        Trip = default;
        CollectFaults(s);
        Array.Clear(_active);
        bool powered = SafetyTransitions.Powered(state);
        var d = s.Divergence;
        bool twin = powered && d.Valid;
        // The twin isolated the divergence: every over-threshold channel reports the cause's evidence (its worst channel,
        // the statistic of the test that fired and that test's threshold), not its own CUSUM.
        bool isolated = twin && d.Diagnosis.Class != FaultClass.Unknown && d.EvidenceChannel >= 0;
        _twinDiagnosis = d.Valid ? d.Diagnosis : default;

        // Twin divergence per channel (the twin's CUSUM and χ² gate already decided OverThreshold).
        var hitTwin = _listHit[(int)SafetyTrigger.TwinDivergence];
        for (int c = 0; c < _count[(int)SafetyTrigger.TwinDivergence].Length; c++)
        {
            bool over = twin && c < d.OverThreshold.Length && d.OverThreshold[c];
            bool cond = over || hitTwin[c];
            if (over && isolated)
            {
                Check(SafetyTrigger.TwinDivergence, c, cond, d.EvidenceValue, d.EvidenceThreshold, (short)d.EvidenceChannel);
                continue;
            }
            double value = over ? d.Detector[c] : _listValue[(int)SafetyTrigger.TwinDivergence][c];
            double thr = over ? d.Threshold[c] : 0;
            // Not isolated: still the pair of the test that fired (the χ² gate when its ratio is the larger), never the
            // CUSUM below its threshold beside a gate over it.
            if (over && d.Gate[c] > 0 && !(d.Score[c] * d.Threshold[c] <= d.Detector[c] * d.Gate[c]))
            {
                value = d.Score[c];
                thr = d.Gate[c];
            }
            Check(SafetyTrigger.TwinDivergence, c, cond && (powered || hitTwin[c]), value, thr);
        }

        var inputs = s.Image.Inputs;
        for (int j = 0; j < _joints; j++)
        {
            double tau = j < d.ExternalTorque.Length ? d.ExternalTorque[j] : 0;
            bool coll = twin && !_l.TorqueOff[j] && !(Math.Abs(tau) <= _collisionMax[j]);
            Check(SafetyTrigger.Collision, j, coll || (powered && _listHit[(int)SafetyTrigger.Collision][j]), tau, _collisionMax[j]);

            double p = s.Position[j];
            bool outside = !(p >= _posMin[j] && p <= _posMax[j]); // NaN is outside
            Check(SafetyTrigger.PositionLimit, j, outside || _listHit[(int)SafetyTrigger.PositionLimit][j], p, p < _posMin[j] ? _posMin[j] : _posMax[j]);

            double v = s.Velocity[j];
            Check(SafetyTrigger.VelocityLimit, j, !(Math.Abs(v) <= _velMax[j]) || _listHit[(int)SafetyTrigger.VelocityLimit][j], v, _velMax[j]);

            double t = s.Torque[j];
            Check(SafetyTrigger.TorqueLimit, j, (!_l.TorqueOff[j] && !(Math.Abs(t) <= _torqueMax[j])) || _listHit[(int)SafetyTrigger.TorqueLimit][j], t, _torqueMax[j]);

            double e = (stopping ? stopTargets[j] : manualTargets != null ? manualTargets[j] : s.TargetPosition[j]) - p;
            bool follow = (powered || manualTargets != null) && (!(Math.Abs(e) <= _followMax[j]) || _listHit[(int)SafetyTrigger.FollowingError][j]);
            Check(SafetyTrigger.FollowingError, j, follow, e, _followMax[j]);

            // Drive fault: statusword bit 3 (value = 0x603F error code, reported by number), a fault raised by the
            // bus/drive layer, a drive that left "operation enabled" while it should be powered, or one that did not
            // reach it within 1 s of enabling.
            bool faultBit = j < inputs.Length && (inputs[j].Statusword & StatuswordFault) != 0;
            bool dropped = !s.DriveOperational[j]
                && (state is SafetyState.Operational or SafetyState.Stopping or SafetyState.Holding
                    || (state == SafetyState.Enabling && tick - enablingSince >= _l.EnableTimeoutTicks)); // never enabled
            bool listed = _listHit[(int)SafetyTrigger.DriveFault][j];
            double code = faultBit ? inputs[j].ErrorCode : listed ? _listValue[(int)SafetyTrigger.DriveFault][j] : j < inputs.Length ? inputs[j].Statusword : 0;
            Check(SafetyTrigger.DriveFault, j, faultBit || dropped || listed, code, 0);
        }

        DetectImus(s);

        CheckList(SafetyTrigger.LoopOverrun);
        CheckList(SafetyTrigger.BusFrameLoss);
        CheckList(SafetyTrigger.BusSlaveLeftOp);
        CheckList(SafetyTrigger.BusLinkDown);
        CheckList(SafetyTrigger.TelemetryLoss);

        bool estop = (_estopInput?.Read() ?? false) || _listHit[(int)SafetyTrigger.EStop][0];
        Check(SafetyTrigger.EStop, 0, estop, estop ? 1 : 0, 0);

        // A drive that dropped out, or a twin that saw stale motion, because its slave left OP or the link went down:
        // the cause is the bus.
        if (Trip.Reaction != StopCategory.None && !IsBus(Trip.Cause.Code))
        {
            if (_active[(int)SafetyTrigger.BusSlaveLeftOp]) BlameBus(SafetyTrigger.BusSlaveLeftOp);
            else if (_active[(int)SafetyTrigger.BusLinkDown]) BlameBus(SafetyTrigger.BusLinkDown);
        }
    }

    private static bool IsBus(FaultCode code) => code is FaultCode.BusSlaveLeftOp or FaultCode.BusLinkDown or FaultCode.BusFrameLost;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void BlameBus(SafetyTrigger bus)
    {
        var c = Trip.Cause;
        Trip = new Trip(Trip.Reaction, c with { Diagnosis = DiagnosisFor(bus, _activeChannel[(int)bus]) });
    }

    /// <summary>The isolated cause of a confirmed trigger (issue 13). Confirmation path only.</summary>
    private FaultDiagnosis DiagnosisFor(SafetyTrigger t, short channel)
    {
        var twin = _twinDiagnosis;
        switch (t)
        {
            case SafetyTrigger.TwinDivergence:
                return twin;
            case SafetyTrigger.Collision:
                // The residual's isolation names the link (or the joint's actuator); the test is the torque bound.
                return twin.Class is FaultClass.Collision or FaultClass.Actuator
                    ? twin with { Test = DetectionTest.Limit }
                    : new FaultDiagnosis(FaultClass.Collision, FaultSite.Link, channel, -1, DetectionTest.Limit);
            case SafetyTrigger.PositionLimit: case SafetyTrigger.VelocityLimit: case SafetyTrigger.TorqueLimit: case SafetyTrigger.FollowingError:
                return new FaultDiagnosis(FaultClass.Limit, FaultSite.Joint, channel, -1, DetectionTest.Limit);
            case SafetyTrigger.DriveFault:
                return new FaultDiagnosis(FaultClass.Actuator, FaultSite.Joint, channel, -1, DetectionTest.Report);
            case SafetyTrigger.ImuFault:
                return new FaultDiagnosis(FaultClass.Sensor, FaultSite.Imu, channel, -1, DetectionTest.Report);
            case SafetyTrigger.BusSlaveLeftOp:
                return new FaultDiagnosis(FaultClass.Bus, FaultSite.Slave, channel, -1, DetectionTest.Report);
            case SafetyTrigger.BusFrameLoss: case SafetyTrigger.BusLinkDown:
                return new FaultDiagnosis(FaultClass.Bus, FaultSite.None, -1, -1, DetectionTest.Report);
            case SafetyTrigger.LoopOverrun:
                return new FaultDiagnosis(FaultClass.Timing, FaultSite.None, -1, -1, DetectionTest.Report);
            case SafetyTrigger.EStop:
                return new FaultDiagnosis(FaultClass.Operator, FaultSite.None, -1, -1, DetectionTest.Report);
            case SafetyTrigger.TelemetryLoss:
                return new FaultDiagnosis(FaultClass.System, FaultSite.None, -1, -1, DetectionTest.Report);
            default:
                return default;
        }
    }

    private void CollectFaults(TickState state)
    {
        for (int t = 0; t < SafetyTriggers.Count; t++) Array.Clear(_listHit[t]);
        var faults = state.Faults.Items;
        for (int i = 0; i < faults.Length; i++)
        {
            ref readonly var f = ref faults[i];
            if (!SafetyTriggers.TryMap(f.Code, out var trig)) continue;
            var hits = _listHit[(int)trig];
            int ch = f.Source >= 0 && f.Source < hits.Length ? f.Source : 0;
            if (hits[ch]) continue;
            _listSource[(int)trig] = f.Source;
            hits[ch] = true;
            _listValue[(int)trig][ch] = f.Value != 0 ? f.Value : f.Received;
        }
    }

    private void DetectImus(TickState s)
    {
        var imus = s.Image.Imus;
        int imuCount = Math.Min(_l.Imus, imus.Length);
        for (int i = 0; i < imuCount; i++)
        {
            ref readonly var m = ref imus[i];
            // A tick whose frame was lost brings no new sample from any slave: the held image is the bus's fault
            // (bus_frame_loss counts it), not the IMU's, so it neither counts towards nor clears staleness.
            if (s.InputsFresh)
            {
                if (_imuSeen && m.SampleCounter == _imuLastCounter[i]) { if (_imuSameTicks[i] < int.MaxValue) _imuSameTicks[i]++; }
                else _imuSameTicks[i] = 0;
            }
            _imuLastCounter[i] = m.SampleCounter;
            bool stale = _imuSameTicks[i] >= _imuStaleTicks[i];
            bool saturated = (m.Status & ImuBadStatus) != 0;
            bool nonFinite = !(float.IsFinite(m.SpecificForceX) && float.IsFinite(m.SpecificForceY) && float.IsFinite(m.SpecificForceZ)
                && float.IsFinite(m.AngularRateX) && float.IsFinite(m.AngularRateY) && float.IsFinite(m.AngularRateZ));
            bool listed = _listHit[(int)SafetyTrigger.ImuFault][i];
            double value = stale ? _imuSameTicks[i] : saturated ? m.Status : nonFinite ? double.NaN : _listValue[(int)SafetyTrigger.ImuFault][i];
            Check(SafetyTrigger.ImuFault, i, stale || saturated || nonFinite || listed, value, stale ? _imuStaleTicks[i] : 0);
        }
        _imuSeen = true;
    }

    private void CheckList(SafetyTrigger t)
    {
        var hits = _listHit[(int)t];
        bool any = false;
        int ch = 0;
        for (int c = 0; c < hits.Length; c++) if (hits[c]) { any = true; ch = c; break; }
        // Single-channel bus/loop triggers: the event's channel is the fault's source (e.g. the slave that left OP).
        Check(t, ch, any, any ? _listValue[(int)t][ch] : 0, 0, hits.Length == 1 ? _listSource[(int)t] : (short)ch);
    }

    private void Check(SafetyTrigger t, int channel, bool condition, double value, double threshold) =>
        Check(t, channel, condition, value, threshold, (short)channel);

    /// <summary>Counts the condition on counter <paramref name="channel"/>; events report <paramref name="reportChannel"/>.</summary>
    private void Check(SafetyTrigger t, int channel, bool condition, double value, double threshold, short reportChannel)
    {
        int ti = (int)t;
        var counts = _count[ti];
        if (!condition)
        {
            counts[channel] = 0;
            return;
        }
        if (!_active[ti])
        {
            _active[ti] = true;
            _activeChannel[ti] = reportChannel; // plain fields, no struct temporaries in the hot path
            _activeValue[ti] = value;
            _activeThreshold[ti] = threshold;
        }
        int c = counts[channel];
        if (c < int.MaxValue) counts[channel] = ++c;
        if (c == _discrepancy[ti]) Confirm(t, reportChannel, value, threshold); // exactly once per episode
    }

    /// <summary>The confirmation (rare): a warning goes out now; a stop is kept if it is the strongest this tick.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // keeps the struct locals out of the hot Check
    private void Confirm(SafetyTrigger t, short reportChannel, double value, double threshold)
    {
        var cause = new SafetyCause(SafetyTriggers.Code(t), reportChannel, value, threshold, DiagnosisFor(t, reportChannel));
        var reaction = _l.Reaction[(int)t];
        if (reaction == StopCategory.Warning) _events.Emit(_state, _state, StopCategory.Warning, cause);
        else if (SafetyTriggers.Severity(reaction) > SafetyTriggers.Severity(Trip.Reaction)) Trip = new Trip(reaction, cause);
    }
}