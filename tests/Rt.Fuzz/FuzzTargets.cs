using Rt.Fuzz.Targets;

namespace Rt.Fuzz;

/// <summary>Every fuzz target, by name. One per reader of outside input.</summary>
public static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        FrameTarget.Create(),
        SiiTarget.Create(),
        MailboxTarget.Create(),
        UrdfTarget.Create(),
        ConfigTarget.Create(),
        TwinParameterTarget.Create(),
        ScenarioTarget.Create(),
        TickRecordingTarget.Create(),
        SafetyLogTarget.Create(),
    ];

    public static FuzzTarget? Find(string name)
    {
        foreach (var t in All)
            if (t.Name == name) return t;
        return null;
    }
}
