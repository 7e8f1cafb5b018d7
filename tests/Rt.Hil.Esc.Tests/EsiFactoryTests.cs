using Rt.Core.Config;
using Rt.Core.Errors;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Link;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Devices.Esi;
using Rt.Hil.Esc.Segment;
using Rt.TestSupport;

namespace Rt.Hil.Esc.Tests;

/// <summary>
/// The emulator's device factory (<see cref="EsiSlaveLibrary"/>): emulated slaves built from ETG.2000 ESI files — the
/// sample robots' shipped files, and small vendor-like files written here.
/// </summary>
public sealed class EsiFactoryTests : IDisposable
{
    private static readonly string Biped12Esi = RepoPaths.Combine("hil", "robots", "biped12", "esi");
    private static readonly string Arm6Esi = RepoPaths.Combine("hil", "robots", "arm6", "esi");

    private readonly string _dir = Directory.CreateTempSubdirectory("rt-esiemu-").FullName;

    public void Dispose() => TempFolders.Delete(_dir);

    private string Write(string name, string xml)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, xml);
        return path;
    }

    /// <summary>Every object and entry: index, name, object code, subindex, name, type, bits, access and value bytes.</summary>
    private static List<string> Dump(EmulatedSlave s)
    {
        var lines = new List<string>();
        foreach (var o in s.Od.Objects)
        {
            lines.Add($"{o.Index:X4} '{o.Name}' code {o.ObjectCode}");
            foreach (var e in o.Entries)
                lines.Add($"{o.Index:X4}:{e.SubIndex:X2} '{e.Name}' {e.Type} {e.BitLength} {e.Access} {Convert.ToHexString(e.Current)}");
        }
        return lines;
    }

    [Fact]
    public void The_biped12_ESI_builds_the_built_in_Rt_bench_drive_and_IMU_byte_for_byte()
    {
        var library = EsiSlaveLibrary.Load([Biped12Esi]);
        var pairs = new (EmulatedSlave Code, SlaveDescription? Esi)[]
        {
            (new ServoDriveDevice(), library.Find(DeviceIdentity.RtBenchVendor, ServoDriveDevice.ProductCode, ServoDriveDevice.RevisionNumber)),
            (new ImuDevice(), library.Find(DeviceIdentity.RtBenchVendor, ImuDevice.ProductCode, ImuDevice.RevisionNumber)),
        };
        foreach (var (code, description) in pairs)
        {
            Assert.NotNull(description);
            var esi = EsiSlaveLibrary.Create(description);
            Assert.Equal(code.GetType(), esi.GetType());
            Assert.Equal(code.Identity, esi.Identity);
            Assert.Equal(code.SiiWords, esi.SiiWords);   // header, strings, general, FMMU, SyncM, TxPDO/RxPDO categories
            Assert.Equal(Dump(code), Dump(esi));          // every object: type, size, access, mappability, default value
            Assert.Equal(code.RxMap.TotalBytes, esi.RxMap.TotalBytes);
            Assert.Equal(code.TxMap.TotalBytes, esi.TxMap.TotalBytes);
        }
        // The same IMU file ships with arm6.
        Assert.Equal(File.ReadAllText(Path.Combine(Biped12Esi, "RtBench-IMU.xml")), File.ReadAllText(Path.Combine(Arm6Esi, "RtBench-IMU.xml")));
    }

    [Fact]
    public void The_arm6_ESI_describes_both_drive_models_with_their_dictionaries()
    {
        var library = EsiSlaveLibrary.Load([Arm6Esi]);
        Assert.Equal(3, library.Descriptions.Count);
        var big = Assert.IsType<ServoDriveDevice>(EsiSlaveLibrary.Create(library.Find(0xABC, 0x1501, 0x00020003)!));
        var wrist = Assert.IsType<ServoDriveDevice>(EsiSlaveLibrary.Create(library.Find(0xABC, 0x301, 0x00020003)!));
        Assert.Equal("Armature Motion AXM-150 servo drive", big.Identity.Name);
        Assert.Equal("AXM-30-EC", wrist.Identity.OrderCode);
        Assert.True(big.HasTorqueActual);
        Assert.False(wrist.HasTorqueActual);
        Assert.Null(wrist.Od.Find(0x6077));
        Assert.Equal(500u, big.Od.Find(0x6076, 0)!.U32);
        Assert.Equal(100u, wrist.Od.Find(0x6076, 0)!.U32);
        Assert.Equal(0x0280u, wrist.Od.Find(0x6502, 0)!.U32);
        Assert.Equal(unchecked((byte)-3), big.Od.Find(0x60C2, 2)!.U8);
        Assert.Equal(Rt.Hil.Esc.ObjectDictionary.OdObject.Record, big.Od.Find(0x608F)!.ObjectCode);
        // Power-up map: position only (6 bytes each way).
        Assert.Equal(6, big.RxMap.TotalBytes);
        Assert.Equal(6, wrist.TxMap.TotalBytes);
        Assert.Null(library.Find(0xABC, 0x1501, 0x00020004)); // another revision is not guessed
        var imu = library.Find(DeviceIdentity.RtBenchVendor, ImuDevice.ProductCode, ImuDevice.RevisionNumber)!;
        Assert.Equal(SlaveBehaviour.Imu, imu.Behaviour);
    }

    private const string VendorIo = """
        <?xml version="1.0" encoding="UTF-8"?>
        <EtherCATInfo>
          <Vendor><Id>#x00000777</Id><Name>Some vendor</Name></Vendor>
          <Descriptions>
            <Groups><Group><Type>IO</Type><Name>I/O terminals</Name></Group></Groups>
            <Devices>
              <Device>
                <Type ProductCode="#x00001234">IO-4</Type>
                <Name>Four-channel I/O</Name>
                <GroupType>IO</GroupType>
                <Profile>
                  <Dictionary>
                    <DataTypes>
                      <DataType><Name>DT7000</Name><BitSize>48</BitSize>
                        <SubItem><SubIdx>0</SubIdx><Name>Number of entries</Name><Type>USINT</Type><BitSize>8</BitSize><BitOffs>0</BitOffs><Flags><Access>ro</Access></Flags></SubItem>
                        <SubItem><SubIdx>1</SubIdx><Name>Output 1</Name><Type>UINT</Type><BitSize>16</BitSize><BitOffs>16</BitOffs><Flags><Access>rw</Access><PdoMapping>R</PdoMapping></Flags></SubItem>
                        <SubItem><SubIdx>2</SubIdx><Name>Output 2</Name><Type>UINT</Type><BitSize>16</BitSize><BitOffs>32</BitOffs><Flags><Access>rw</Access><PdoMapping>R</PdoMapping></Flags></SubItem>
                      </DataType>
                    </DataTypes>
                    <Objects>
                      <Object><Index>#x7000</Index><Name>Outputs</Name><Type>DT7000</Type><BitSize>48</BitSize>
                        <Info><SubItem><Name>Number of entries</Name><Info><DefaultData>02</DefaultData></Info></SubItem></Info></Object>
                      <Object><Index>#x6000</Index><Name>Input 1</Name><Type>UINT</Type><BitSize>16</BitSize><Info><DefaultValue>#x1234</DefaultValue></Info><Flags><Access>ro</Access><PdoMapping>T</PdoMapping></Flags></Object>
                      <Object><Index>#x6001</Index><Name>Input 2</Name><Type>INT</Type><BitSize>16</BitSize><Info><DefaultValue>-2</DefaultValue></Info><Flags><Access>ro</Access><PdoMapping>T</PdoMapping></Flags></Object>
                      <Object><Index>#x8000</Index><Name>Filter</Name><Type>STRING(8)</Type><BitSize>64</BitSize><Info><DefaultString>fast</DefaultString></Info><Flags><Access>rw</Access></Flags></Object>
                    </Objects>
                  </Dictionary>
                </Profile>
                <Fmmu>Outputs</Fmmu><Fmmu>Inputs</Fmmu>
                <Sm StartAddress="#x1000" ControlByte="#x26" DefaultSize="64">MBoxOut</Sm>
                <Sm StartAddress="#x1040" ControlByte="#x22" DefaultSize="64">MBoxIn</Sm>
                <Sm StartAddress="#x1100" ControlByte="#x64">Outputs</Sm>
                <Sm StartAddress="#x1180" ControlByte="#x20">Inputs</Sm>
                <RxPdo Sm="2" Fixed="1"><Index>#x1600</Index><Name>Outputs</Name>
                  <Entry><Index>#x7000</Index><SubIndex>1</SubIndex><BitLen>16</BitLen></Entry>
                  <Entry><Index>#x7000</Index><SubIndex>2</SubIndex><BitLen>16</BitLen></Entry>
                </RxPdo>
                <TxPdo Sm="3"><Index>#x1A00</Index><Name>Input 1</Name><Exclude>#x1A01</Exclude>
                  <Entry><Index>#x6000</Index><SubIndex>0</SubIndex><BitLen>16</BitLen></Entry>
                </TxPdo>
                <TxPdo><Index>#x1A01</Index><Name>Inputs 1 and 2</Name><Exclude>#x1A00</Exclude>
                  <Entry><Index>#x6000</Index><SubIndex>0</SubIndex><BitLen>16</BitLen></Entry>
                  <Entry><Index>#x6001</Index><SubIndex>0</SubIndex><BitLen>16</BitLen></Entry>
                </TxPdo>
                <Mailbox><CoE PdoAssign="1" PdoConfig="0"/><FoE/></Mailbox>
              </Device>
            </Devices>
          </Descriptions>
        </EtherCATInfo>
        """;

    [Fact]
    public void A_vendor_IO_device_reaches_OP_with_its_default_PDOs_and_the_alternative_can_be_assigned()
    {
        var library = EsiSlaveLibrary.Load([Write("vendor-io.xml", VendorIo)]);
        var d = library.Find(0x777, 0x1234, 5)!; // no RevisionNo: fits every revision
        Assert.Equal(SlaveBehaviour.Generic, d.Behaviour);
        var device = Assert.IsType<GenericDevice>(EsiSlaveLibrary.Create(d));
        Assert.Equal(0x1234, device.Od.Find(0x6000, 0)!.U16);
        Assert.Equal(-2, device.Od.Find(0x6001, 0)!.I16);
        Assert.Equal("fast", System.Text.Encoding.ASCII.GetString(device.Od.Find(0x8000, 0)!.Current));
        Assert.Equal(1, device.Od.Find(0x1C13, 0)!.U8);      // only the PDO with Sm is assigned at power-up
        Assert.Equal(0x1A00, device.Od.Find(0x1C13, 1)!.U16);
        Assert.Equal(2, device.Od.Find(0x1A01, 0)!.U8);      // the alternative's mapping is there
        Assert.Equal(4, device.RxMap.TotalBytes);
        Assert.Equal(2, device.TxMap.TotalBytes);

        // The project's master reads the SII (PDOs, mailbox of 64 bytes, FoE + CoE), chooses the alternative over CoE
        // and takes the device to OP with 4 input bytes.
        var segment = new EscSegment([device]);
        var master = new EtherCatMaster(new LoopbackLink(segment), new MasterOptions { StateTimeoutNs = 500_000_000, MailboxTimeoutNs = 500_000_000, DistributedClocks = false });
        master.BringUpToPreOp(null);
        var slave = master.SubDevices[0];
        Assert.Equal("Four-channel I/O", slave.Name);
        var sdo = slave.Sdo!;
        sdo.Download(0x1C13, 0, [0]);
        sdo.Download(0x1C13, 1, [0x01, 0x1A]);
        sdo.Download(0x1C13, 0, [1]);
        Assert.Equal(4, device.TxMap.TotalBytes);
        var abort = Assert.Throws<Rt.Drivers.EtherCat.CoE.SdoAbortException>(() => sdo.Download(0x1600, 0, [0])); // Fixed, no PdoConfig: read-only
        Assert.NotEqual(0u, abort.Code);
    }

    [Fact]
    public void Malformed_dictionary_is_one_line_naming_file_line_and_element()
    {
        string bad = VendorIo.Replace("<Type>INT</Type>", "<Type>FLOAT7</Type>", StringComparison.Ordinal);
        string path = Write("bad-type.xml", bad);
        var e = Assert.Throws<InputError>(() => EsiSlaveLibrary.Load([path]));
        int line = bad.Split('\n').ToList().FindIndex(l => l.Contains("FLOAT7", StringComparison.Ordinal)) + 1;
        Assert.StartsWith($"{path}:{line}: element <Type>: expected a base type", e.Message);
        Assert.Contains("found 'FLOAT7'", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        string unmappable = VendorIo.Replace("<DefaultValue>#x1234</DefaultValue></Info><Flags><Access>ro</Access><PdoMapping>T</PdoMapping>",
            "<DefaultValue>#x1234</DefaultValue></Info><Flags><Access>ro</Access>", StringComparison.Ordinal);
        Assert.NotEqual(VendorIo, unmappable);
        var e2 = Assert.Throws<InputError>(() => EsiSlaveLibrary.Load([Write("unmappable.xml", unmappable)]));
        Assert.Contains("element <Device>: expected #x6000:0 (in PDO #x1A00) to be TxPDO-mappable", e2.Message);

        string badBehaviour = VendorIo.Replace("<Fmmu>Outputs</Fmmu>", "<VendorSpecific><RtBench Behaviour=\"robot\"/></VendorSpecific><Fmmu>Outputs</Fmmu>", StringComparison.Ordinal);
        var e3 = Assert.Throws<InputError>(() => EsiSlaveLibrary.Load([Write("behaviour.xml", badBehaviour)]));
        Assert.Contains("element <RtBench>: expected attribute Behaviour=\"cia402\", \"imu\" or \"generic\", found 'robot'", e3.Message);

        // Not well-formed XML: the master's reader's line, before the emulator looks at it.
        var e4 = Assert.Throws<InputError>(() => EsiSlaveLibrary.Load([Write("broken.xml", "<EtherCATInfo><Vendor>")]));
        Assert.Contains("broken.xml:1", e4.Message);
    }

    [Fact]
    public void The_bench_chain_of_each_sample_robot_is_built_from_its_ESI_files()
    {
        var biped = ConfigLoader.Load(RepoPaths.Biped12Config);
        var segment = EscBenchSegment.FromConfig(biped);
        Assert.Equal(15, segment.Slaves.Count);
        Assert.All(segment.Slaves.Take(12), s => Assert.Contains("RtBench-Servo.xml", s.Description.Source, StringComparison.Ordinal));
        Assert.All(segment.Slaves.Skip(12), s => Assert.Contains("RtBench-IMU.xml", s.Description.Source, StringComparison.Ordinal));

        var arm = ConfigLoader.Load(RepoPaths.Combine("hil", "robots", "arm6", "arm6.yaml"));
        var armSegment = EscBenchSegment.FromConfig(arm);
        Assert.Equal(7, armSegment.Slaves.Count);
        Assert.All(armSegment.Slaves.Take(6), s => Assert.Contains("ArmatureMotion-AXM.xml", s.Description.Source, StringComparison.Ordinal));
        Assert.Equal([0x1501u, 0x1501u, 0x1501u, 0x301u, 0x301u, 0x301u, ImuDevice.ProductCode], armSegment.Slaves.Select(s => s.Identity.ProductCode));
    }

    [Fact]
    public void A_malformed_bench_ESI_stops_the_bench_with_one_line()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        string path = Write("bench-bad.xml", VendorIo.Replace("<Index>#x1A01</Index>", "<Index>#x1A0G</Index>", StringComparison.Ordinal));
        config.Bench.Esi = [path];
        var e = Assert.Throws<InputError>(() => EscBenchSegment.FromConfig(config));
        Assert.StartsWith(path + ":", e.Message);
        Assert.Contains("element <Index>", e.Message);
    }

    [Fact]
    public void A_listed_vendor_device_past_the_robot_is_emulated_from_its_ESI()
    {
        var config = ConfigLoader.Load(RepoPaths.Biped12Config);
        config.Bench.Esi = [Biped12Esi, Write("vendor-io-2.xml", VendorIo)];
        config.Bus.Slaves = [new SlaveIdentityConfig { Position = 15, Vendor = 0x777, Product = 0x1234, Revision = 1 }];
        var segment = EscBenchSegment.FromConfig(config);
        Assert.Equal(16, segment.Slaves.Count);
        Assert.IsType<GenericDevice>(segment.Slaves[15]);
    }
}
