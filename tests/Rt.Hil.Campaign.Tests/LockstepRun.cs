using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Tests;

/// <summary>One scenario run in lockstep with a state folder of its own, removed afterwards (best effort).</summary>
internal static class LockstepRun
{
    public static ScenarioResult Of(Scenario scenario, string folderPrefix)
    {
        var stateRoot = Directory.CreateTempSubdirectory(folderPrefix).FullName;
        try
        {
            return ScenarioRunner.Run(scenario, new CampaignOptions { Jobs = 1, StateRoot = stateRoot });
        }
        finally
        {
            try { Directory.Delete(stateRoot, recursive: true); }
            catch (IOException) { } // best effort: a temp folder left behind is harmless
        }
    }
}
