using System.Text.Json;
using System.Text.Json.Serialization;
using Rt.Hil.Campaign.Injections;
using Rt.Hil.Campaign.Scenarios;

namespace Rt.Hil.Campaign.Reports;

/// <summary>The JSON report's top level: a schema tag, the whole campaign (series included) and the sweep summary when there is one.</summary>
public sealed record CampaignReportDocument
{
    /// <summary>Bumped when a field changes meaning or goes away (adding fields does not bump it).</summary>
    public const string CurrentSchema = "rt.hil.campaign/1";

    public string Schema { get; init; } = CurrentSchema;
    public required CampaignResult Campaign { get; init; }
    public SweepSummary? Sweep { get; init; }
}

/// <summary>
/// JSON for machines: System.Text.Json, camelCase property names, enums as their names, indented.
/// Channel and series names (dictionary keys) are kept as they are. NaN/∞ ratios are written as "NaN"/"Infinity".
/// </summary>
public static class JsonReport
{
    /// <summary>The options the report is written and read with.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Serialize(CampaignResult result, SweepSummary? sweep = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        return JsonSerializer.Serialize(new CampaignReportDocument { Campaign = result, Sweep = sweep }, Options);
    }

    public static void Write(CampaignResult result, string path, SweepSummary? sweep = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var stream = File.Create(path);
        JsonSerializer.Serialize(stream, new CampaignReportDocument { Campaign = result, Sweep = sweep }, Options);
    }

    /// <summary>Reads a report written by <see cref="Write"/> (e.g. to re-render the HTML or compare two campaigns).</summary>
    public static CampaignReportDocument Read(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Rt.Core.Errors.InputError(path, "", "cannot read the campaign report: " + e.Message, e);
        }
        try
        {
            return JsonSerializer.Deserialize<CampaignReportDocument>(text, Options)
                   ?? throw new Rt.Core.Errors.InputError(path, "", "expected a campaign report object, found null");
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is { } l ? $"line {l + 1}" + (string.IsNullOrEmpty(e.Path) ? "" : $", {e.Path}") : e.Path ?? "";
            throw new Rt.Core.Errors.InputError(path, where, "not a campaign report (" + e.Message + ")", e);
        }
    }
}
