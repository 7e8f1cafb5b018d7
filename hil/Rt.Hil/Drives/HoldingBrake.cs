using Rt.Core.Config;

namespace Rt.Hil.Drives;

/// <summary>
/// An emulated spring-applied holding brake on one joint, controlled as CiA 402 drives control theirs: by the power
/// stage. When the drive's power stage goes off (STO / Cat 0, disable, fault reaction) the brake is commanded and holds
/// after <see cref="BrakeConfig.EngageTimeS"/> (the joint is free meanwhile); when the drive enters "operation enabled"
/// it lets go after <see cref="BrakeConfig.ReleaseTimeS"/> (holding meanwhile). A master can also release it by hand:
/// through 0x60FE:01 bit 0 (under the 0x60FE:02 mask) where the drive maps it (<see cref="EmulatedServoDrive"/> passes
/// that as the power-stage command), or through a GPIO line (<see cref="ManualRelease"/>). Holding is a stiff, critically damped spring to the angle where the brake closed, limited to
/// the holding torque: beyond it the brake slips (its anchor follows), as a friction brake does.
/// Construction is not real-time safe; <see cref="Update"/> is (no allocation).
/// </summary>
public sealed class HoldingBrake
{
    /// <summary>Bandwidth of the holding spring, Hz (stiff against the link, stable at the plant substep).</summary>
    public const double HoldingBandwidthHz = 40;

    private readonly double _holding, _engageS, _releaseS;
    private double _stiffness, _damping;
    private bool _commandedEngaged = true, _holds = true, _anchored;
    private double _timer, _anchor, _lastQ;

    /// <summary>Not real-time safe. <paramref name="inertiaKgM2"/>: the joint-side inertia the drive is tuned for.</summary>
    public HoldingBrake(BrakeConfig config, double inertiaKgM2)
    {
        ArgumentNullException.ThrowIfNull(config);
        _holding = config.HoldingTorqueNm;
        _engageS = config.EngageTimeS;
        _releaseS = config.ReleaseTimeS;
        double w = 2 * Math.PI * HoldingBandwidthHz;
        double j = Math.Max(inertiaKgM2, 1e-3);
        _stiffness = j * w * w;
        _damping = 2 * j * w;
    }

    /// <summary>Whether the brake holds the joint now (engaged, or not yet released).</summary>
    public bool Holds => _holds;

    /// <summary>
    /// Real-time safe. A brake released by hand (the host's brake command, hold-to-run, while the drive is not enabled):
    /// the brake opens as if the power stage were on; clearing it closes the brake after the engage time again.
    /// </summary>
    public bool ManualRelease { get; set; }

    /// <summary>Holding torque, N·m.</summary>
    public double HoldingTorqueNm => _holding;

    /// <summary>
    /// Real-time safe. One plant substep: <paramref name="powerStageOn"/> is the drive's command (brake released while
    /// true: the power stage is on, or the master releases it through 0x60FE:01); returns the brake's torque on the joint at <paramref name="jointPositionRad"/>, N·m.
    /// </summary>
    public double Update(bool powerStageOn, double jointPositionRad, double dt)
    {
        double q = jointPositionRad;
        double qd = _anchored ? (q - _lastQ) / dt : 0;
        _lastQ = q;
        bool engage = !powerStageOn && !ManualRelease;
        if (engage != _commandedEngaged)
        {
            _commandedEngaged = engage;
            _timer = 0;
        }
        else _timer += dt;

        bool holds = engage ? _holds || _timer >= _engageS : _holds && _timer < _releaseS;
        if (holds && !_holds) _anchor = q; // closes where the joint is
        _holds = holds;
        if (!_anchored) { _anchor = q; _anchored = true; }
        if (!holds) return 0;

        double tau = -_stiffness * (q - _anchor) - _damping * qd;
        if (Math.Abs(tau) > _holding)
        {
            tau = Math.Sign(tau) * _holding;
            _anchor = q + tau / _stiffness; // slipping: the spring stays at the holding torque
        }
        return tau;
    }
}
