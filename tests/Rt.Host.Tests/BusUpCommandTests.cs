using Rt.TestSupport;
using Xunit.Abstractions;

namespace Rt.Host.Tests;

/// <summary><c>rt bus up</c> as a user meets it (child processes of the bench's rt): table, exit codes, one error line, no trace.</summary>
public sealed class BusUpCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("rt-busup-").FullName;

    public void Dispose() => TempFolders.Delete(_scratch);

    private const string Esi = """
        <?xml version="1.0" encoding="UTF-8"?>
        <EtherCATInfo>
          <Vendor><Id>#x00000E7A</Id><Name>Rt bench</Name></Vendor>
          <Descriptions>
            <Devices>
              <Device Physics="YY">
                <Type ProductCode="#x00000402" RevisionNo="#x00010000">RT-SERVO-402</Type>
                <Name LcId="1033">ESI-named servo</Name>
                <Sm StartAddress="#x1000" ControlByte="#x26" DefaultSize="128" Enable="1">MBoxOut</Sm>
                <Sm StartAddress="#x1080" ControlByte="#x22" DefaultSize="128" Enable="1">MBoxIn</Sm>
                <Sm StartAddress="#x1100" ControlByte="#x64" Enable="1">Outputs</Sm>
                <Sm StartAddress="#x1180" ControlByte="#x20" Enable="1">Inputs</Sm>
                <Mailbox><CoE SdoInfo="1" PdoAssign="0" PdoConfig="0">
                  <InitCmd><Transition>PS</Transition><Index>#x60C2</Index><SubIndex>1</SubIndex><Data>01</Data></InitCmd>
                </CoE></Mailbox>
              </Device>
            </Devices>
          </Descriptions>
        </EtherCATInfo>
        """;

    private (int Exit, string Out, string Err) Rt(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "rt.dll");
        var r = ErrorContractTests.Run(dll, args);
        output.WriteLine($"rt {string.Join(' ', args)} → {r.Exit}\n{r.Out}\n{r.Err}");
        ErrorContractTests.AssertNoTrace(r.Err, string.Join(' ', args));
        return r;
    }

    private string Write(string name, string text)
    {
        var p = Path.Combine(_scratch, name);
        File.WriteAllText(p, text);
        return p;
    }

    [Fact]
    public void The_bench_bus_goes_to_op_with_esi_names_and_comes_down()
    {
        var esi = Write("bench.xml", Esi);
        var (exit, stdout, err) = Rt("bus", "up", "--bench", "--config", RepoPaths.Biped12Config, "--esi", esi, "--duration", "0.2");
        Assert.True(exit == 0, $"exit {exit}: {err}");
        Assert.Contains("ESI-named servo", stdout);
        Assert.Contains("bring-up:", stdout);
        Assert.Matches(@"process data: \d+ cycles, WKC \d+ right / 0 wrong", stdout);
        Assert.Contains("down: 0:Init", stdout);
        Assert.DoesNotContain("PreOp ", stdout);
    }

    [Fact]
    public void Malformed_esi_is_one_line_with_file_and_line_and_exit_2()
    {
        var esi = Write("broken.xml", Esi.Replace("<Data>01</Data>", "<Data>1</Data>", StringComparison.Ordinal));
        var (exit, _, err) = Rt("bus", "up", "--bench", "--config", RepoPaths.Biped12Config, "--esi", esi);
        Assert.Equal(2, exit);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"error: {esi}:14: element <Data>: expected an even number of hex digits (whole bytes), found '1'", lines[0]);
    }

    [Fact]
    public void A_bus_that_contradicts_the_config_is_exit_2_and_a_missing_interface_exit_3()
    {
        string config = File.ReadAllText(RepoPaths.Biped12Config).Replace("  slaves: []", "  slaves:\n    - { position: 0, vendor: 0x00000E7A, product: 0x00000999, revision: 0x00010000 }", StringComparison.Ordinal);
        Assert.Contains("product: 0x00000999", config);
        var path = Path.Combine(Path.GetDirectoryName(RepoPaths.Biped12Config)!, $"busup-test-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, config);
        try
        {
            var (exit, _, err) = Rt("bus", "up", "--bench", "--config", path, "--duration", "0.1");
            Assert.Equal(2, exit);
            var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("error: EtherCAT: ", lines[0]);
            Assert.Contains("the bus has", lines[0]); // biped12's bench has more slaves than this config lists
            Assert.EndsWith("(bus left in INIT)", lines[0]);
            Assert.Equal("refusing to enable motion.", lines[1]);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Equal(3, Rt("bus", "up", "--iface", "nosuch0").Exit);
        Assert.Equal(2, Rt("bus", "up").Exit);
    }
}
