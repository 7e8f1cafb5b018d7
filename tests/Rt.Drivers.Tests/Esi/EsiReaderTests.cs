using Rt.Core.Errors;
using Rt.Drivers.EtherCat.Esi;
using Rt.Drivers.EtherCat.Sii;
using Rt.TestSupport;

namespace Rt.Drivers.Tests.Esi;

public sealed class EsiReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rt-esi-").FullName;

    public void Dispose() => TempFolders.Delete(_dir);

    [Fact]
    public void Reads_vendor_identity_names_sync_managers_pdos_init_commands_and_dc_modes()
    {
        var file = EsiReader.ReadText(TestEsi.BenchDrive, "bench.xml");
        Assert.Equal(0x00000E7Au, file.VendorId);
        Assert.Equal("Rt bench", file.VendorName);
        Assert.Equal(2, file.Devices.Count);

        var drive = file.Devices[0];
        Assert.Equal(0x402u, drive.ProductCode);
        Assert.Equal(0x00010000u, drive.RevisionNo);
        Assert.Equal("RT-SERVO-402", drive.TypeName);
        Assert.Equal("Rt bench servo drive", drive.Name); // LcId 1033 preferred over the first name
        Assert.StartsWith("bench.xml:", drive.Source);
        Assert.Equal(["Outputs", "Inputs", "MBoxState"], drive.Fmmus);
        Assert.Equal(4, drive.SyncManagers.Count);
        Assert.Equal(new EsiSyncManager(2, 0x1100, 19, 0x64, true, "Outputs"), drive.SyncManagers[2]);

        Assert.Equal(2, drive.RxPdos.Count);
        var rx = drive.RxPdos[0];
        Assert.Equal(0x1600, rx.Index);
        Assert.Equal(2, rx.Sm);
        Assert.True(rx.Mandatory);
        Assert.False(rx.Fixed);
        Assert.Equal([(ushort)0x1601], rx.Excludes);
        Assert.Equal(19 * 8, rx.BitLength);
        Assert.Equal(new EsiPdoEntry(0x607A, 0, 32, "Target position", "DINT"), rx.Entries[2]);
        Assert.Equal(0x607A0020u, rx.Entries[2].MappingValue);
        var alt = drive.RxPdos[1];
        Assert.Null(alt.Sm);
        Assert.True(alt.Fixed);
        Assert.Equal(new EsiPdoEntry(0, 0, 8, "", ""), alt.Entries[2]); // padding: no SubIndex
        Assert.Single(drive.DefaultPdos(rx: true));
        Assert.Equal(15 * 8, drive.DefaultPdos(rx: false)[0].BitLength);

        Assert.NotNull(drive.Mailbox);
        Assert.True(drive.Mailbox!.CoE);
        Assert.False(drive.Mailbox.FoE);
        var coe = drive.Mailbox.Coe!;
        Assert.True(coe.PdoAssign);
        Assert.True(coe.PdoConfig);
        Assert.False(coe.CompleteAccess);
        Assert.Equal(3, drive.InitCmds.Count);
        Assert.Equal(0x6060, drive.InitCmds[0].Index);
        Assert.Equal([(byte)8], drive.InitCmds[0].Data);
        Assert.Equal("Mode of operation: CSP", drive.InitCmds[0].Comment);
        Assert.True(drive.InitCmds[1].RunsOn("IP"));
        Assert.True(drive.InitCmds[1].RunsOn("PS"));
        Assert.False(drive.InitCmds[0].RunsOn("SO"));

        Assert.Equal(2, drive.DcModes.Count);
        Assert.Equal(0x0300, drive.DcModes[0].AssignActivate);
        Assert.True(drive.DcModes[0].UsesSync0);
        Assert.False(drive.DcModes[1].UsesSync0);

        var imu = file.Devices[1];
        Assert.Empty(imu.RxPdos);
        Assert.False(imu.SyncManagers[2].Enable);
        Assert.False(imu.Mailbox!.Coe!.PdoAssign);
        Assert.Empty(imu.InitCmds);
    }

    [Fact]
    public void Init_commands_in_an_InitCmds_wrapper_and_data_with_spaces_are_read()
    {
        string xml = TestEsi.BenchDrive.Replace("<CoE SdoInfo=\"true\" PdoAssign=\"true\" PdoConfig=\"true\" CompleteAccess=\"false\" SegmentedSdo=\"true\">",
            "<CoE SdoInfo=\"true\" PdoAssign=\"true\" PdoConfig=\"true\"><InitCmds><InitCmd><Transition>PS</Transition><Index>#x6072</Index><SubIndex>0</SubIndex><Data>e8 03</Data></InitCmd></InitCmds>", StringComparison.Ordinal);
        var drive = EsiReader.ReadText(xml, "wrapped.xml").Devices[0];
        Assert.Equal(4, drive.InitCmds.Count);
        Assert.Equal(0x6072, drive.InitCmds[0].Index);
        Assert.Equal([(byte)0xE8, (byte)0x03], drive.InitCmds[0].Data);
    }

    [Fact]
    public void A_folder_is_read_file_by_file_and_matches_by_identity()
    {
        var path = TestEsi.Write(_dir, TestEsi.BenchDrive);
        var library = EsiReader.Load([Path.GetDirectoryName(path)!]);
        Assert.Single(library.Files);
        var exact = library.Match(new SlaveIdentity(0xE7A, 0x402, 0x00010000, 7));
        Assert.True(exact.ExactRevision);
        Assert.Null(exact.Note);
        Assert.Equal("Rt bench servo drive", exact.Device!.Name);

        var other = library.Match(new SlaveIdentity(0xE7A, 0x402, 0x00020000, 7));
        Assert.False(other.ExactRevision);
        Assert.Same(exact.Device, other.Device);
        Assert.Contains("only for revision 0x00010000", other.Note);
        Assert.Contains("the slave is revision 0x00020000", other.Note);

        Assert.Null(library.Match(new SlaveIdentity(0xE7A, 0x999, 0x00010000, 7)).Device);
        Assert.Null(library.Match(new SlaveIdentity(0x2, 0x402, 0x00010000, 7)).Device);
    }

    [Fact]
    public void A_device_without_revision_fits_every_revision_without_a_note()
    {
        string xml = TestEsi.BenchDrive.Replace("<Type ProductCode=\"#x00000402\" RevisionNo=\"#x00010000\">", "<Type ProductCode=\"1026\">", StringComparison.Ordinal);
        var library = new EsiLibrary([EsiReader.ReadText(xml, "any.xml")]);
        var m = library.Match(new SlaveIdentity(0xE7A, 0x402, 0x00030000, 0));
        Assert.True(m.ExactRevision);
        Assert.Null(m.Device!.RevisionNo);
    }

    public static TheoryData<string, string, string, string> Malformed => new()
    {
        // original text, replacement, marker of the line the error must name, expected message part
        { "<Type ProductCode=\"#x00000402\"", "<Type ProductCode=\"#xZZ\"", "RT-SERVO-402", "element <Type>: expected a number (decimal or #x hex) of at most 32 bits in attribute ProductCode, found '#xZZ'" },
        { "<Type ProductCode=\"#x00000402\" RevisionNo=\"#x00010000\">", "<Type RevisionNo=\"#x00010000\">", "RT-SERVO-402", "element <Type>: expected attribute ProductCode (e.g. \"#x00000402\"), found none" },
        { "<BitLen>16</BitLen><Name>Controlword</Name>", "<BitLen>sixteen</BitLen><Name>Controlword</Name>", "<BitLen>sixteen", "element <BitLen>: expected a number (decimal or #x hex) of at most 32 bits, found 'sixteen'" },
        { "<Data>08</Data>", "<Data>8</Data>", "<Data>8</Data>", "element <Data>: expected an even number of hex digits (whole bytes), found '8'" },
        { "<Data>08</Data>", "<Data>0G</Data>", "<Data>0G</Data>", "element <Data>: expected hex bytes" },
        { "<Transition>PS</Transition>\n              <Index>#x6060", "<Transition>XY</Transition>\n              <Index>#x6060", "<Transition>XY", "element <Transition>: expected a state transition of two letters" },
        { "<RxPdo Sm=\"2\" Mandatory=\"1\">", "<RxPdo Sm=\"7\" Mandatory=\"1\">", "<RxPdo Sm=\"7\"", "element <RxPdo>: expected attribute Sm to name one of the device's 4 sync managers (0–3), found 7" },
        { "<RxPdo Sm=\"2\" Mandatory=\"1\">", "<RxPdo Sm=\"2\" Mandatory=\"yes\">", "<RxPdo Sm=\"2\"", "expected 1, 0, true or false in attribute Mandatory, found 'yes'" },
        { "<SubIndex>0</SubIndex><BitLen>8</BitLen><Name>Modes of operation</Name>", "<SubIndex>300</SubIndex><BitLen>8</BitLen><Name>Modes of operation</Name>", "<SubIndex>300", "element <SubIndex>: expected an 8-bit value (at most 255), found 300" },
        { "<Id>#x00000E7A</Id>", "", "<Vendor>", "element <Vendor>: expected a child <Id>, found none" },
        { "<AssignActivate>#x0300</AssignActivate>", "<AssignActivate>#x10300</AssignActivate>", "<OpMode>", "element <OpMode>: expected a 16-bit value (at most #xFFFF), found #x10300" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_esi_is_one_line_naming_file_line_and_element(string original, string replacement, string marker, string expected)
    {
        Assert.Contains(original, TestEsi.BenchDrive, StringComparison.Ordinal);
        string xml = TestEsi.BenchDrive.Replace(original, replacement, StringComparison.Ordinal);
        var path = TestEsi.Write(_dir, xml);
        var e = Assert.Throws<InputError>(() => EsiReader.Load([path]));
        int line = TestEsi.LineOf(xml, marker);
        Assert.StartsWith($"{path}:{line}: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Xml_that_is_not_well_formed_names_the_line()
    {
        string xml = TestEsi.BenchDrive.Replace("</RxPdo>\n    <RxPdo Fixed", "</RxPd>\n    <RxPdo Fixed", StringComparison.Ordinal).Replace("<Name>CSP outputs</Name>", "<Name>CSP outputs</Nme>", StringComparison.Ordinal);
        var e = Assert.Throws<InputError>(() => EsiReader.ReadText(xml, "broken.xml"));
        Assert.StartsWith($"broken.xml:{TestEsi.LineOf(xml, "</Nme>")}: not well-formed XML", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Another_root_element_is_refused()
    {
        var e = Assert.Throws<InputError>(() => EsiReader.ReadText("<?xml version=\"1.0\"?>\n<EtherCATConfig><Config/></EtherCATConfig>", "eni.xml"));
        Assert.Equal("eni.xml:2: element <EtherCATConfig>: expected <EtherCATInfo> as the root element of an ESI file, found <EtherCATConfig>", e.Message);
    }

    [Fact]
    public void A_missing_path_or_an_empty_folder_is_bad_input()
    {
        var e = Assert.Throws<InputError>(() => EsiReader.Load(["/nonexistent/esi.xml"]));
        Assert.Contains("expected an ESI file or a folder of them", e.Message);
        var dir = Path.Combine(_dir, "rt-esi-empty-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var e2 = Assert.Throws<InputError>(() => EsiReader.Load([dir]));
        Assert.Contains("found none", e2.Message);
    }
}
