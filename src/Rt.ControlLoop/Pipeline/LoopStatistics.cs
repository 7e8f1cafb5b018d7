using Rt.Core.Tick;

namespace Rt.ControlLoop.Pipeline;

/// <summary>
/// Running figures for the live summary and the final report: joint tracking error (target − measured) per joint,
/// max divergence ratio, safety state, fault count. Updated in the tick (real-time safe: fixed arrays, plain
/// arithmetic); read by the UI thread, where a torn read only affects what is displayed.
/// </summary>
public sealed class LoopStatistics
{
    private double[] _sumSq = [];
    private double[] _maxAbs = [];
    private double[] _previousTarget = [];
    private long _samples;

    public long Ticks;
    public long LastTick;
    public long LastTimeNs;
    public long FaultCount;
    public SafetyState SafetyState;
    public bool AllDrivesOperational;
    public double MaxDivergenceRatio;
    public int WorstChannel = -1;

    public int JointCount => _sumSq.Length;

    /// <summary>Real-time safe after the first call (which sizes the arrays; the pipeline makes it at construction).</summary>
    public void Record(TickState s)
    {
        if (_sumSq.Length != s.JointCount)
        {
            _sumSq = new double[s.JointCount];
            _maxAbs = new double[s.JointCount];
            _previousTarget = new double[s.JointCount];
        }
        Ticks++;
        LastTick = s.Tick;
        LastTimeNs = s.TimeNs;
        FaultCount += s.Faults.Count;
        SafetyState = s.SafetyState;
        AllDrivesOperational = s.AllDrivesOperational;
        if (s.Divergence.Valid && s.Divergence.WorstRatio > MaxDivergenceRatio)
        {
            MaxDivergenceRatio = s.Divergence.WorstRatio;
            WorstChannel = s.Divergence.WorstChannel;
        }
        if (s.AllDrivesOperational && !s.TargetsOverridden)
        {
            // Compare with the target sent one tick earlier: that is what the drive is following now.
            for (int i = 0; i < _sumSq.Length; i++)
            {
                double e = _previousTarget[i] - s.Position[i];
                _sumSq[i] += e * e;
                double a = Math.Abs(e);
                if (a > _maxAbs[i]) _maxAbs[i] = a;
            }
            _samples++;
        }
        Array.Copy(s.TargetPosition, _previousTarget, _previousTarget.Length);
    }

    public double TrackingRms(int joint) => _samples == 0 ? 0 : Math.Sqrt(_sumSq[joint] / _samples);
    public double TrackingMax(int joint) => _maxAbs[joint];
    public long TrackingSamples => _samples;

    public void Prepare(int jointCount)
    {
        _sumSq = new double[jointCount];
        _maxAbs = new double[jointCount];
        _previousTarget = new double[jointCount];
    }
}
