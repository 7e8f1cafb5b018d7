using Rt.Core.Config;
using Rt.Hil.Esc.Segment;
using Rt.Session;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign;

/// <summary>The bench's <see cref="IBenchFactory"/>: MuJoCo plant, emulated drives and IMUs (<see cref="BenchRig"/>). Not real-time safe.</summary>
public sealed class BenchFactory : IBenchFactory
{
    public static readonly BenchFactory Instance = new();

    public ISessionRig Create(RtConfig config, SessionOptions options) => BenchRig.Create(config, options);
}

/// <summary>Sessions composed with the bench plugged in, and the bench's view of them. Not real-time safe.</summary>
public static class BenchSession
{
    /// <summary><see cref="HostSession.Create"/> with <see cref="BenchFactory"/>.</summary>
    public static HostSession Create(RtConfig config, SessionOptions options) => HostSession.Create(config, options, BenchFactory.Instance);

    extension(HostSession session)
    {
        /// <summary>The in-process bench behind the session, or null (robot, or the bench in its own process).</summary>
        public BenchRig? Bench => session.Rig as BenchRig;

        /// <summary>On the in-process bench over EtherCAT: the emulated slave chain in front of the plant.</summary>
        public BenchBridge? BenchBridge => session.EtherCat != null ? (session.Rig as BenchRig)?.Bridge : null;
    }
}
