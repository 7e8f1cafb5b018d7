using Rt.Core.Config;
using Rt.Core.Divergence;

namespace Rt.Twin.Parameters;

/// <summary>Turns the configured twin-parameter file into the <see cref="DigitalTwin"/>'s prepare-time options. Not real-time safe.</summary>
public static class TwinParameterOptions
{
    /// <summary>
    /// Loads <c>twin.parameters</c> (resolved against the config file) and validates it against the config and URDF;
    /// an empty setting gives nominal options (servo defaults, URDF inertia, <see cref="CrossCheck.NoiseModel.Nominal"/>).
    /// </summary>
    /// <exception cref="Rt.Core.Errors.InputError">The file is unreadable, malformed, or does not match the robot.</exception>
    public static DigitalTwinOptions FromConfig(RtConfig config, ChannelLayout layout, DigitalTwinOptions? baseOptions = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(layout);
        var options = baseOptions ?? new DigitalTwinOptions();
        if (string.IsNullOrWhiteSpace(config.Twin.Parameters)) return options;
        var parameters = TwinParameterFile.Load(config.Resolve(config.Twin.Parameters), config, config.Description);
        return Apply(parameters, layout, options);
    }

    /// <summary>Options from already-loaded parameters (validated by <see cref="TwinParameterFile"/>).</summary>
    public static DigitalTwinOptions Apply(TwinParameters parameters, ChannelLayout layout, DigitalTwinOptions? baseOptions = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var options = baseOptions ?? new DigitalTwinOptions();
        double[]? pi = null;
        if (parameters.Links.Count > 0)
        {
            pi = new double[10 * parameters.Links.Count];
            for (int b = 0; b < parameters.Links.Count; b++) parameters.Links[b].Pi.CopyTo(pi, 10 * b);
        }
        return options with
        {
            Servo = parameters.Joints.Select(j => j.ToServoParameters()).ToList(),
            InertialParameters = pi ?? options.InertialParameters,
            Noise = parameters.ToNoiseModel(layout),
            TorqueModelRelativeError = TorqueFitError(parameters, layout),
        };
    }

    /// <summary>√(1 − R²) of each joint's "&lt;joint&gt;.torque" fit (NaN where the file has none), config order.</summary>
    private static double[] TorqueFitError(TwinParameters parameters, ChannelLayout layout)
    {
        var e = new double[layout.JointCount];
        for (int j = 0; j < e.Length; j++)
        {
            string name = layout.JointNames[j] + ".torque";
            var fit = parameters.Fit.Find(f => f.Channel == name);
            e[j] = fit is { R2: >= 0 and <= 1 } ? Math.Sqrt(1 - fit.R2) : double.NaN;
        }
        return e;
    }
}
