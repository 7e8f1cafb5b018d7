using System.Text;
using System.Text.Json;

namespace Rt.Host.Doctor;

/// <summary>Writes the doctor's findings for a person (one line each, the change to make under it) or as JSON for scripts.</summary>
public static class DoctorReport
{
    public static void WriteText(TextWriter o, IReadOnlyList<DoctorCheck> checks)
    {
        foreach (var c in checks)
        {
            string tag = c.Status switch
            {
                CheckStatus.Ok => " ok ",
                CheckStatus.Warn => "warn",
                CheckStatus.Fail => "FAIL",
                _ => " ?? ",
            };
            o.WriteLine($"[{tag}] {c.Title}: {c.Found}");
            if (c.Status != CheckStatus.Ok)
            {
                o.WriteLine($"       why: {c.Why}");
                if (c.Fix != null) o.WriteLine($"       fix: {c.Fix}");
            }
        }
        int fail = checks.Count(c => c.Status == CheckStatus.Fail), warn = checks.Count(c => c.Status == CheckStatus.Warn);
        o.WriteLine(DoctorChecks.Fit(checks)
            ? $"fit for real-time use ({warn} warning(s)); docs/DEPLOY.md explains each item"
            : $"not fit for real-time use: {fail} failed, {warn} warning(s); docs/DEPLOY.md explains each item");
    }

    public static string Json(IReadOnlyList<DoctorCheck> checks)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteBoolean("fit", DoctorChecks.Fit(checks));
            w.WriteStartArray("checks");
            foreach (var c in checks)
            {
                w.WriteStartObject();
                w.WriteString("id", c.Id);
                w.WriteString("title", c.Title);
                w.WriteString("status", c.Status.ToString().ToLowerInvariant());
                w.WriteString("found", c.Found);
                w.WriteString("why", c.Why);
                if (c.Fix != null) w.WriteString("fix", c.Fix);
                else w.WriteNull("fix");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
