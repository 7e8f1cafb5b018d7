using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Divergence;
using Rt.Core.ProcessData;
using Rt.Core.Tick;
using Rt.Hil.Drives;
using Rt.TestSupport;

namespace Rt.Hil.Tests;

/// <summary>Shared set-up: the sample robot's real config and URDF, a tick state sized for it, and a tiny "host".</summary>
internal static class BenchFixtures
{
    private static readonly Lazy<RtConfig> ConfigLazy = new(() => ConfigLoader.Load(RepoPaths.Biped12Config));

    /// <summary>A fresh copy each call would re-parse; the config is never mutated by the tests, so share it.</summary>
    public static RtConfig Config => ConfigLazy.Value;

    public static RobotDescription Robot => Config.Description ?? UrdfParser.Load(RepoPaths.Biped12Urdf);

    public static int JointIndex(string name) => Config.Joints.FindIndex(j => j.Name == name);

    public static TickState NewState(RtConfig config)
    {
        var layout = new ChannelLayout(config.Joints.Select(j => j.Name).ToList(), config.Imus.Select(i => i.Name).ToList());
        return new TickState(config.Joints.Count, config.Imus.Count, layout);
    }

    /// <summary>Drives every drive through 0x06 → 0x0F (CSP, holding the measured position) until all are operation enabled.</summary>
    public static void EnableAll(Bench bench, TickState state, sbyte mode = Cia402Modes.CyclicSyncPosition)
    {
        for (int k = 0; k < 10; k++)
        {
            bench.Exchange(state);
            bool all = true;
            for (int i = 0; i < state.JointCount; i++)
            {
                ref var o = ref state.Image.Outputs[i];
                ushort sw = state.Image.Inputs[i].Statusword;
                o.ModeOfOperation = mode;
                o.TargetPosition = state.Image.Inputs[i].PositionActual;
                if ((sw & 0x4F) == 0x40) o.Controlword = 0x06;
                else if ((sw & 0x6F) == 0x21) o.Controlword = 0x0F;
                else if ((sw & 0x6F) == 0x27) o.Controlword = 0x0F;
                all &= (sw & 0x6F) == 0x27;
            }
            if (all) return;
            bench.Advance(bench.TickPeriodNs);
        }
        throw new InvalidOperationException("drives did not reach operation enabled in 10 ticks");
    }

    /// <summary>FNV-1a over the bit patterns of the plant's joint positions and velocities.</summary>
    public static ulong HashState(Bench bench, ulong h)
    {
        for (int i = 0; i < bench.Plant.JointCount; i++)
        {
            h = Mix(h, BitConverter.DoubleToInt64Bits(bench.Plant.JointPosition(i)));
            h = Mix(h, BitConverter.DoubleToInt64Bits(bench.Plant.JointVelocity(i)));
        }
        return h;
    }

    private static ulong Mix(ulong h, long v)
    {
        for (int b = 0; b < 8; b++)
        {
            h ^= (byte)(v >> (8 * b));
            h *= 1099511628211UL;
        }
        return h;
    }

    public static DriveOutputs Command(ushort controlword, sbyte mode = Cia402Modes.CyclicSyncPosition, int target = 0) =>
        new() { Controlword = controlword, ModeOfOperation = mode, TargetPosition = target };
}
