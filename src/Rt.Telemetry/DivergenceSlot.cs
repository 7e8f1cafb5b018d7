using Rt.Core.Divergence;

namespace Rt.Telemetry;

/// <summary>
/// Where each value of one tick's divergence record sits in a <see cref="Rt.Core.Concurrency.SpscSlotRing"/> slot.
/// Header (time, safety state, valid, worst channel, worst ratio, over count), then per channel innovation, score,
/// detector, threshold and over-threshold (0/1), then per joint external torque. Fixed at start from the layout.
/// </summary>
public sealed class DivergenceSlot
{
    public const int TimeNs = 0;        // long bits stored in a double (exact)
    public const int Safety = 1;
    public const int Valid = 2;
    public const int WorstChannel = 3;
    public const int WorstRatio = 4;
    public const int OverCount = 5;
    public const int HeaderWidth = 6;

    public DivergenceSlot(ChannelLayout layout)
    {
        Channels = layout.Count;
        Joints = layout.JointCount;
        Innovation = HeaderWidth;
        Score = Innovation + Channels;
        Detector = Score + Channels;
        Threshold = Detector + Channels;
        Over = Threshold + Channels;
        ExternalTorque = Over + Channels;
        Width = ExternalTorque + Joints;
    }

    public int Channels { get; }
    public int Joints { get; }
    public int Innovation { get; }
    public int Score { get; }
    public int Detector { get; }
    public int Threshold { get; }
    public int Over { get; }
    public int ExternalTorque { get; }
    public int Width { get; }
}
