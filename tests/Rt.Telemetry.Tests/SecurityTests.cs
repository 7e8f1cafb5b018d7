using System.Diagnostics;
using Rt.Core.Errors;
using Rt.Perf;
using Xunit.Abstractions;

namespace Rt.Telemetry.Tests;

/// <summary>TLS with throwaway certificates made by openssl, username/password from a protected file.</summary>
public sealed class SecurityTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Fixtures.TempDir("security");

    private static void Run(string file, string args, string cwd)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = cwd, RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed: {err}");
    }

    /// <summary>CA, server cert for 127.0.0.1, client cert, plus an unrelated CA; EC keys so it takes milliseconds.</summary>
    private string MakeCertificates()
    {
        string d = Path.Combine(_dir, "pki");
        Directory.CreateDirectory(d);
        const string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        Run("openssl", $"req -x509 {ec} -keyout ca.key -out ca.crt -days 1 -subj /CN=rt-test-ca", d);
        Run("openssl", $"req -x509 {ec} -keyout other-ca.key -out other-ca.crt -days 1 -subj /CN=rt-other-ca", d);
        File.WriteAllText(Path.Combine(d, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
        Run("openssl", $"req {ec} -keyout server.key -out server.csr -subj /CN=127.0.0.1", d);
        Run("openssl", "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile san.ext", d);
        Run("openssl", $"req {ec} -keyout client.key -out client.csr -subj /CN=rt-host-r1", d);
        Run("openssl", "x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 1", d);
        return d;
    }

    private LocalBroker TlsBroker(string pki) => new LocalBroker(Path.Combine(_dir, "broker"), listenerLines:
    [
        $"cafile {pki}/ca.crt", $"certfile {pki}/server.crt", $"keyfile {pki}/server.key", "require_certificate true",
    ]).Start();

    [Fact]
    public void Tls_with_client_certificate_connects_and_delivers()
    {
        string pki = MakeCertificates();
        using var broker = TlsBroker(pki);
        string uri = $"mqtts://127.0.0.1:{broker.Port}";
        var section = Fixtures.Section(uri, _dir);
        section.CaFile = $"{pki}/ca.crt";
        section.CertFile = $"{pki}/client.crt";
        section.KeyFile = $"{pki}/client.key";
        var log = new Fixtures.Log(output);
        using var safetyLog = new Fixtures.SafetyLogFile(_dir);
        using var svc = new TelemetryService(section, Fixtures.Layout(), "r1", log.Add, Fixtures.FastOptions, journal: safetyLog.Journal);
        svc.Start();
        Assert.True(svc.WaitConnected(TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        safetyLog.Log(svc, Fixtures.Event(1));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.OutboxPending == 0, TimeSpan.FromSeconds(5)), "event not acknowledged over TLS");
    }

    [Fact]
    public void Wrong_ca_is_reported_once_clearly_and_nothing_is_sent()
    {
        string pki = MakeCertificates();
        using var broker = TlsBroker(pki);
        var section = Fixtures.Section($"mqtts://127.0.0.1:{broker.Port}", _dir);
        section.CaFile = $"{pki}/other-ca.crt";
        section.CertFile = $"{pki}/client.crt";
        section.KeyFile = $"{pki}/client.key";
        var log = new Fixtures.Log(output);
        using var svc = new TelemetryService(section, Fixtures.Layout(), "r1", log.Add, Fixtures.FastOptions);
        svc.Start();
        Assert.True(log.WaitFor(l => l.Contains("TLS", StringComparison.Ordinal) && l.Contains("ca_file", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
            "no clear TLS message:\n" + string.Join("\n", log.Lines));
        // Let the watchdog rebuild the client a couple of times: the same failure is not repeated.
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.ClientRebuilds >= 2, TimeSpan.FromSeconds(10)));
        Assert.False(svc.Stats.Connected);
        var lines = log.Lines;
        Assert.Single(lines, l => l.Contains("TLS", StringComparison.Ordinal) && l.Contains("ca_file", StringComparison.Ordinal));
        Assert.True(lines.Count <= 3, string.Join("\n", lines));
    }

    [Fact]
    public void Wrong_password_is_rejected_with_a_clear_message_that_does_not_show_it()
    {
        string pwfile = Path.Combine(_dir, "passwd");
        Run("mosquitto_passwd", $"-c -b {pwfile} robot right-secret", _dir);
        using var broker = new LocalBroker(Path.Combine(_dir, "broker"), passwordFile: pwfile).Start();
        string cred = Path.Combine(_dir, "cred");
        File.WriteAllText(cred, "robot:wrong-secret\n");
        File.SetUnixFileMode(cred, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var section = Fixtures.Section(broker.Uri, _dir);
        section.CredentialsFile = cred;
        var log = new Fixtures.Log(output);
        using var svc = new TelemetryService(section, Fixtures.Layout(), "r1", log.Add, Fixtures.FastOptions);
        svc.Start();
        Assert.True(log.WaitFor(l => l.Contains("refused", StringComparison.Ordinal) && l.Contains("credentials_file", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10)), string.Join("\n", log.Lines));
        Assert.True(PayloadTests.SpinUntil(() => svc.Stats.ClientRebuilds >= 1, TimeSpan.FromSeconds(10)));
        var lines = log.Lines;
        Assert.DoesNotContain(lines, l => l.Contains("secret", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("refused", StringComparison.Ordinal));

        // And the right password gets in.
        File.WriteAllText(cred, "robot:right-secret\n");
        var log2 = new Fixtures.Log(output);
        using var ok = new TelemetryService(section, Fixtures.Layout(), "r2", log2.Add, Fixtures.FastOptions);
        ok.Start();
        Assert.True(ok.WaitConnected(TimeSpan.FromSeconds(10)), string.Join("\n", log2.Lines));
    }

    [Fact]
    public void Credentials_readable_by_others_are_refused_without_showing_the_secret()
    {
        string cred = Path.Combine(_dir, "cred");
        File.WriteAllText(cred, "robot:hunter2\n");
        File.SetUnixFileMode(cred, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        var e = Assert.Throws<InputError>(() => MqttCredentials.Load(cred));
        Assert.Contains("chmod 600", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);

        File.SetUnixFileMode(cred, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var c = MqttCredentials.Load(cred);
        Assert.Equal("robot", c.Username);
        Assert.DoesNotContain("hunter2", c.ToString(), StringComparison.Ordinal);

        File.WriteAllText(cred, "no-colon-here\n");
        var bad = Assert.Throws<InputError>(() => MqttCredentials.Load(cred));
        Assert.DoesNotContain("no-colon-here", bad.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
