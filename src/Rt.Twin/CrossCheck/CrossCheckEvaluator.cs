using System.Runtime.CompilerServices;
using Rt.Core.Config;
using Rt.Core.Divergence;
using Rt.Core.Faults;

namespace Rt.Twin.CrossCheck;

/// <summary>What the CUSUM does after it crosses its threshold.</summary>
public enum CusumAfterAlarm
{
    /// <summary>Keep accumulating: the channel stays over threshold while the shift lasts (the supervisor latches the trip). Default.</summary>
    Continue,

    /// <summary>Restart each one-sided CUSUM from zero after its alarm, so alarms form renewal processes (rate measurement, statistics). The χ² gate does not restart anything.</summary>
    Restart,
}

/// <summary>Prepare-time options of the <see cref="CrossCheckEvaluator"/>.</summary>
public sealed record CrossCheckOptions
{
    /// <summary>Share of each channel's false-alarm budget given to the per-sample χ² gate (the rest to the CUSUMs).</summary>
    public double GateShare { get; init; } = 0.5;

    public CusumAfterAlarm AfterAlarm { get; init; } = CusumAfterAlarm.Continue;

    public CusumThresholdMethod ThresholdMethod { get; init; } = CusumThresholdMethod.Numeric;

    /// <summary>Clamp on the CUSUM statistic (σ units) so a long divergence never overflows; far above any threshold.</summary>
    public double CusumCeiling { get; init; } = 1e6;

    /// <summary>
    /// Window (ticks) of the step GLR on strongly correlated components (<see cref="StepGlrMinRho"/>); 0 = off (default).
    /// The GLR is the matched test for a step in an AR(1) series: after whitening a step Δ shows as Δ in its first sample
    /// and (1 − ρ)Δ after, and the GLR weighs the samples by exactly that, maximised over the onset within the window.
    /// </summary>
    public int StepGlrWindowTicks { get; init; }

    /// <summary>Components with lag-1 ρ at or above this get the step GLR (below it the CUSUM is not blind).</summary>
    public double StepGlrMinRho { get; init; } = 0.5;

    /// <summary>The step GLR's false-alarm budget as a share of the channel's (added to it: with the GLR on, a channel's rate is at most (1 + share)/ARL₀).</summary>
    public double StepGlrShare { get; init; } = 0.1;
}

/// <summary>
/// The per-tick cross-check: for every channel of the <see cref="ChannelLayout"/> it takes the innovation components
/// (measured − predicted, before the twin's correction), normalises them with the <see cref="NoiseModel"/>, and fills
/// the <see cref="DivergenceRecord"/>: innovation (norm), NIS score (χ²_d), CUSUM statistic, threshold, over-threshold
/// flags and the worst channel. A channel alarms when its NIS exceeds the χ² gate or any of its 2·d one-sided CUSUMs
/// (per component, both signs) exceeds h. Thresholds are derived at construction from the configured false-alarm
/// rate and minimum detectable shift (<see cref="ThresholdDerivation"/>).
/// Construct off the tick (not real-time safe); <see cref="Evaluate(ReadOnlySpan{double}, DivergenceRecord)"/>,
/// <see cref="Reset()"/> and <see cref="SetExcluded"/> are real-time safe.
/// </summary>
public sealed class CrossCheckEvaluator
{
    private readonly double[] _invSigma;
    private readonly double[] _bias;
    private readonly double[] _ar1;
    private readonly double[] _previous;   // last finite (e − b) per component, for the lag-1 whitening
    private readonly double[] _white;      // this tick's whitened, normalised components
    private readonly double[] _marginal;   // √(1 − ρ²): the first sample of a series against the stationary σ
    private readonly bool[] _primed;       // per channel: _previous holds a sample since the last reset
    private readonly double[] _cusumUp;
    private readonly double[] _cusumDown;
    private readonly int[] _offset;
    private readonly int[] _dof;
    private readonly double[] _k;
    private readonly double[] _h;
    private readonly double[] _gate;
    private readonly bool[] _excluded;
    private readonly bool[] _off;           // per channel: marked off in the layout (no measurement), never scored
    private readonly bool _restart;
    private readonly double _ceiling;
    // Step GLR (off when _glrWindow == 0): per component a ring of the last whitened samples.
    private readonly int _glrWindow;
    private readonly bool[] _glrOn;        // per component
    private readonly double[] _glrRing;    // component-major, _glrWindow per component
    private readonly int[] _glrHead;       // next write index per component
    private readonly int[] _glrCount;      // valid samples per component (≤ window)
    private readonly double[] _glrStat;    // per channel: largest |A|/√B over its components and onsets this tick
    private readonly double _glrThreshold; // σ units, for every channel (union bound over the window's onsets)

    /// <summary>Not real-time safe: derives thresholds (MathNet) and allocates all state.</summary>
    public CrossCheckEvaluator(ChannelLayout layout, NoiseModel noise, TwinSection config, TimeSpan tickPeriod, CrossCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(config);
        if (noise.Layout.Count != layout.Count)
            throw new ArgumentException($"noise model has {noise.Layout.Count} channels, layout has {layout.Count}", nameof(noise));
        if (tickPeriod <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(tickPeriod), tickPeriod, "tick period must be > 0");
        if (!(config.FalseAlarmEveryHours > 0) || !double.IsFinite(config.FalseAlarmEveryHours))
            throw new ArgumentOutOfRangeException(nameof(config), config.FalseAlarmEveryHours, "twin.false_alarm_every_hours must be finite and > 0");
        options ??= new CrossCheckOptions();
        Layout = layout;
        Options = options;
        double rateHz = 1.0 / tickPeriod.TotalSeconds;
        ArlTicks = ThresholdDerivation.AverageRunLengthTicks(rateHz, config.FalseAlarmEveryHours);

        int n = layout.Count;
        _invSigma = new double[noise.ComponentCount];
        _bias = new double[noise.ComponentCount];
        _ar1 = new double[noise.ComponentCount];
        _previous = new double[noise.ComponentCount];
        _white = new double[noise.ComponentCount];
        _marginal = new double[noise.ComponentCount];
        _cusumUp = new double[noise.ComponentCount];
        _cusumDown = new double[noise.ComponentCount];
        for (int i = 0; i < noise.ComponentCount; i++)
        {
            _invSigma[i] = 1 / noise.Sigma[i];
            _bias[i] = noise.Bias[i];
            _ar1[i] = noise.Ar1[i];
            _marginal[i] = Math.Sqrt(1 - _ar1[i] * _ar1[i]);
        }
        _offset = (int[])noise.Offsets.Clone();
        _dof = (int[])noise.Dimensions.Clone();
        _k = new double[n];
        _h = new double[n];
        _gate = new double[n];
        _excluded = new bool[n];
        _primed = new bool[n];
        _off = new bool[n];
        for (int c = 0; c < n; c++) _off[c] = layout.IsOff(c);
        var thresholds = new ChannelThresholds[n];
        // Channels of equal dof share thresholds: derive once per dof.
        var byDof = new Dictionary<int, ChannelThresholds>();
        for (int c = 0; c < n; c++)
        {
            if (!byDof.TryGetValue(_dof[c], out var t))
            {
                t = ThresholdDerivation.ForChannel(_dof[c], ArlTicks, config.MinDetectableShiftSigma, options.GateShare, options.ThresholdMethod);
                byDof[_dof[c]] = t;
            }
            thresholds[c] = t;
            _k[c] = t.CusumDrift;
            _h[c] = t.CusumThreshold;
            _gate[c] = t.GateThreshold;
        }
        Thresholds = thresholds;
        ComponentCount = noise.ComponentCount;
        _restart = options.AfterAlarm == CusumAfterAlarm.Restart;
        _ceiling = options.CusumCeiling;

        _glrWindow = Math.Max(0, options.StepGlrWindowTicks);
        _glrOn = new bool[noise.ComponentCount];
        _glrRing = new double[noise.ComponentCount * Math.Max(1, _glrWindow)];
        _glrHead = new int[noise.ComponentCount];
        _glrCount = new int[noise.ComponentCount];
        _glrStat = new double[n];
        if (_glrWindow > 0)
        {
            if (!(options.StepGlrShare > 0) || !double.IsFinite(options.StepGlrShare))
                throw new ArgumentOutOfRangeException(nameof(options), options.StepGlrShare, "StepGlrShare must be finite and > 0");
            for (int i = 0; i < noise.ComponentCount; i++) _glrOn[i] = Math.Abs(_ar1[i]) >= options.StepGlrMinRho;
            int maxDof = 1;
            for (int c = 0; c < n; c++) maxDof = Math.Max(maxDof, _dof[c]);
            _glrThreshold = ThresholdDerivation.StepGlrThreshold(ArlTicks, options.StepGlrShare, _glrWindow, maxDof);
        }
        else _glrThreshold = double.PositiveInfinity;
    }

    /// <summary>The step GLR's threshold (σ units); +∞ when the GLR is off.</summary>
    public double StepGlrThreshold => _glrThreshold;

    /// <summary>Real-time safe. This tick's step GLR statistic of a channel (σ units; 0 when off or no correlated component).</summary>
    public double StepGlrStatistic(int channel) => _glrStat[channel];

    public ChannelLayout Layout { get; }
    public CrossCheckOptions Options { get; }

    /// <summary>Configured in-control run length per detector (channel), ticks.</summary>
    public double ArlTicks { get; }

    /// <summary>Length of the components span <see cref="Evaluate(ReadOnlySpan{double}, DivergenceRecord)"/> expects.</summary>
    public int ComponentCount { get; }

    /// <summary>Per channel, the derived thresholds and the numbers behind them.</summary>
    public IReadOnlyList<ChannelThresholds> Thresholds { get; }

    /// <summary>First component of a channel in the components span.</summary>
    public int ComponentOffset(int channel) => _offset[channel];

    /// <summary>Real-time safe. Excluded channels (e.g. while the twin warms up) get innovation and score but never alarm; their CUSUMs are held at 0.</summary>
    public void SetExcluded(int channel, bool excluded)
    {
        if (_excluded[channel] && !excluded) _primed[channel] = false; // a new series starts with the next sample
        _excluded[channel] = excluded;
        if (excluded)
        {
            ClearCusum(channel);
            ClearGlr(channel);
        }
    }

    /// <summary>Real-time safe. Excludes or includes every channel of one kind.</summary>
    public void SetExcluded(ChannelKind kind, bool excluded)
    {
        for (int c = 0; c < _excluded.Length; c++)
            if (Layout.Channels[c].Kind == kind) SetExcluded(c, excluded);
    }

    public bool IsExcluded(int channel) => _excluded[channel];

    /// <summary>
    /// Real-time safe. A check beside the per-channel tests (IMU kinematics, contact, stuck encoder, slip) raises channel
    /// <paramref name="c"/> with <paramref name="ratio"/> on this tick's record: worst channel, and over threshold once.
    /// An excluded or switched-off channel is not raised. True when this call put the channel over its threshold.
    /// </summary>
    public bool RaiseOnRecord(DivergenceRecord record, int c, double ratio)
    {
        if (c < 0 || _excluded[c] || Layout.IsOff(c)) return false;
        if (ratio > record.WorstRatio)
        {
            record.WorstRatio = ratio;
            record.WorstChannel = c;
        }
        if (ratio <= 1 || record.OverThreshold[c]) return false;
        record.OverThreshold[c] = true;
        record.OverCount++;
        return true;
    }

    /// <summary>Real-time safe. Zeroes every CUSUM (e.g. after the supervisor's reset).</summary>
    public void Reset()
    {
        Array.Clear(_cusumUp);
        Array.Clear(_cusumDown);
        Array.Clear(_previous);
        Array.Clear(_primed);
        Array.Clear(_glrCount);
        Array.Clear(_glrStat);
    }

    /// <summary>Real-time safe, allocation-free. See <see cref="Evaluate(ReadOnlySpan{double}, DivergenceRecord, FaultList?, long)"/>.</summary>
    public void Evaluate(ReadOnlySpan<double> components, DivergenceRecord record) => Evaluate(components, record, null, record.Tick);

    /// <summary>
    /// Real-time safe, allocation-free. <paramref name="components"/> holds the innovations in layout order (1 per joint
    /// channel, 3 per IMU channel). Fills the record's Innovation, Score, Detector, Threshold, OverThreshold, OverCount,
    /// WorstChannel and WorstRatio (max over channels of max(CUSUM/h, NIS/gate)). A non-finite component never
    /// propagates: that channel reports 0, does not update its CUSUM, and (when <paramref name="faults"/> is given) raises
    /// <see cref="FaultCode.SensorNonFinite"/> with the channel index as source.
    /// </summary>
    public void Evaluate(ReadOnlySpan<double> components, DivergenceRecord record, FaultList? faults, long tick)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (components.Length < ComponentCount) ThrowTooShort(components.Length);
        var innovation = record.Innovation;
        var score = record.Score;
        var detector = record.Detector;
        var threshold = record.Threshold;
        var over = record.OverThreshold;
        int overCount = 0, worst = -1;
        double worstRatio = 0;
        for (int c = 0; c < _dof.Length; c++)
        {
            int o = _offset[c], d = _dof[c];
            double norm2 = 0, nis = 0;
            bool finite = true;
            for (int i = 0; i < d; i++)
            {
                double e = components[o + i];
                if (!double.IsFinite(e)) { finite = false; break; }
                norm2 += e * e;
            }
            // Whitening: the first sample of a series (after a reset, or when the channel is armed again after an
            // exclusion) has no predecessor to whiten against; it is scored against the AR(1) process's stationary
            // distribution N(b, σ²/(1 − ρ²)) instead, so a change that happened while the channel was not armed is
            // still seen in full, and the slow model error a large ρ describes does not alarm.
            if (_off[c])
            {
                // No measurement exists for this channel (ChannelLayout.MarkOff): nothing to score, never an alarm.
                innovation[c] = 0;
                score[c] = 0;
                detector[c] = 0;
                threshold[c] = _h[c];
                over[c] = false;
                continue;
            }
            bool primed = _primed[c];
            if (finite)
            {
                for (int i = 0; i < d; i++)
                {
                    double centred = components[o + i] - _bias[o + i];
                    double rho = _ar1[o + i];
                    double z = rho == 0 ? centred * _invSigma[o + i]
                        : primed ? (centred - rho * _previous[o + i]) * _invSigma[o + i]
                        : centred * _marginal[o + i] * _invSigma[o + i];
                    _previous[o + i] = centred;
                    _white[o + i] = z;
                    nis += z * z;
                }
                _primed[c] = true;
            }
            threshold[c] = _h[c];
            record.Gate[c] = _gate[c]; // published, so a consumer can recompute the ratio
            if (!finite)
            {
                innovation[c] = 0;
                score[c] = 0;
                over[c] = false;
                detector[c] = Max(c);
                faults?.Add(Fault.Of(FaultCode.SensorNonFinite, c, tick));
                continue;
            }
            innovation[c] = d == 1 ? components[o] : Math.Sqrt(norm2);
            score[c] = nis;
            if (_excluded[c])
            {
                detector[c] = 0;
                over[c] = false;
                continue;
            }
            double glr = _glrWindow > 0 ? StepGlr(o, d) : 0;
            _glrStat[c] = glr;
            double k = _k[c], h = _h[c], stat = 0;
            for (int i = 0; i < d; i++)
            {
                double z = _white[o + i];
                double up = Math.Min(_ceiling, Math.Max(0, _cusumUp[o + i] + z - k));
                double down = Math.Min(_ceiling, Math.Max(0, _cusumDown[o + i] - z - k));
                stat = Math.Max(stat, Math.Max(up, down));
                // Restart mode: only the one-sided CUSUM that alarmed restarts, so each is its own renewal process
                // and the channel's alarm rate is the sum of theirs (the derivation's assumption).
                if (_restart)
                {
                    if (up > h) up = 0;
                    if (down > h) down = 0;
                }
                _cusumUp[o + i] = up;
                _cusumDown[o + i] = down;
            }
            bool alarm = stat > h || nis > _gate[c] || glr > _glrThreshold;
            detector[c] = stat;
            over[c] = alarm;
            double ratio = Math.Max(Math.Max(stat / h, nis / _gate[c]), glr / _glrThreshold);
            if (ratio > worstRatio)
            {
                worstRatio = ratio;
                worst = c;
            }
            if (alarm) overCount++;
        }
        record.OverCount = overCount;
        record.WorstChannel = worst;
        record.WorstRatio = worstRatio;
    }

    /// <summary>Real-time safe. The channel's χ² gate on the NIS.</summary>
    public double GateThreshold(int channel) => _gate[channel];

    /// <summary>
    /// Real-time safe. The component (0-based, e.g. the IMU axis) that carries the channel's alarm: the largest one-sided
    /// CUSUM, or the largest whitened sample when every CUSUM is 0 (a gate alarm).
    /// </summary>
    public int WorstComponent(int channel)
    {
        int o = _offset[channel], best = 0;
        double m = 0;
        for (int i = 0; i < _dof[channel]; i++)
        {
            double v = Math.Max(_cusumUp[o + i], _cusumDown[o + i]);
            if (v > m) { m = v; best = i; }
        }
        if (m > 0) return best;
        for (int i = 0; i < _dof[channel]; i++)
        {
            double v = Math.Abs(_white[o + i]);
            if (v > m) { m = v; best = i; }
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Max(int c)
    {
        double m = 0;
        for (int i = 0; i < _dof[c]; i++) m = Math.Max(m, Math.Max(_cusumUp[_offset[c] + i], _cusumDown[_offset[c] + i]));
        return m;
    }

    /// <summary>
    /// Real-time safe. Pushes this tick's whitened samples of a channel's correlated components and returns the largest
    /// |A|/√B over them and over the onsets τ within the window, with A = z_τ + (1 − ρ)·Σ_(k&gt;τ) z_k and
    /// B = 1 + m·(1 − ρ)² (m samples after τ): the GLR for a step that began at τ, N(0, 1) under no change.
    /// </summary>
    private double StepGlr(int o, int d)
    {
        double best = 0;
        for (int i = 0; i < d; i++)
        {
            int comp = o + i;
            if (!_glrOn[comp]) continue;
            int w = _glrWindow, baseIdx = comp * w, head = _glrHead[comp];
            _glrRing[baseIdx + head] = _white[comp];
            head = head + 1 == w ? 0 : head + 1;
            _glrHead[comp] = head;
            int count = _glrCount[comp] < w ? ++_glrCount[comp] : w;
            double a1 = 1 - _ar1[comp], a2 = a1 * a1, tail = 0;
            int idx = head;
            for (int m = 0; m < count; m++)
            {
                idx = idx == 0 ? w - 1 : idx - 1;
                double z = _glrRing[baseIdx + idx];
                double a = z + a1 * tail;
                double v = Math.Abs(a) / Math.Sqrt(1 + m * a2);
                if (v > best) best = v;
                tail += z;
            }
        }
        return best;
    }

    private void ClearGlr(int c)
    {
        for (int i = 0; i < _dof[c]; i++) _glrCount[_offset[c] + i] = 0;
        _glrStat[c] = 0;
    }

    private void ClearCusum(int c)
    {
        for (int i = 0; i < _dof[c]; i++)
        {
            _cusumUp[_offset[c] + i] = 0;
            _cusumDown[_offset[c] + i] = 0;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowTooShort(int length) =>
        throw new ArgumentException($"cross-check expects {ComponentCount} innovation components, got {length}");
}
