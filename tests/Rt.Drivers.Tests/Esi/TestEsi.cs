namespace Rt.Drivers.Tests.Esi;

/// <summary>
/// ESI files written by hand against ETG.2000 (EtherCATInfo.xsd): the structure real vendor files have (Vendor/Id,
/// Descriptions/Devices/Device with Type ProductCode/RevisionNo in #x form, Fmmu, Sm, RxPdo/TxPdo with Sm, Fixed,
/// Mandatory and Exclude, Mailbox/CoE with InitCmd, Dc/OpMode). They describe the bench's own emulated devices
/// (vendor 0x00000E7A) so the bring-up tests can run against them.
/// </summary>
internal static class TestEsi
{
    /// <summary>The bench servo drive: default PDOs 0x1600/0x1A00 (the emulator's), an alternative CSP-only pair, startup 0x6060 = 8.</summary>
    public const string BenchDrive = """
        <?xml version="1.0" encoding="UTF-8"?>
        <EtherCATInfo xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Version="1.11">
          <Vendor>
            <Id>#x00000E7A</Id>
            <Name>Rt bench</Name>
          </Vendor>
          <Descriptions>
            <Groups>
              <Group><Type>Drives</Type><Name LcId="1033">Drives</Name></Group>
            </Groups>
            <Devices>
              <Device Physics="YY">
                <Type ProductCode="#x00000402" RevisionNo="#x00010000">RT-SERVO-402</Type>
                <Name LcId="1031">Rt Prüfstand-Servo</Name>
                <Name LcId="1033">Rt bench servo drive</Name>
                <GroupType>Drives</GroupType>
                <Fmmu>Outputs</Fmmu>
                <Fmmu>Inputs</Fmmu>
                <Fmmu>MBoxState</Fmmu>
                <Sm StartAddress="#x1000" ControlByte="#x26" DefaultSize="128" Enable="1">MBoxOut</Sm>
                <Sm StartAddress="#x1080" ControlByte="#x22" DefaultSize="128" Enable="1">MBoxIn</Sm>
                <Sm StartAddress="#x1100" ControlByte="#x64" DefaultSize="19" Enable="1">Outputs</Sm>
                <Sm StartAddress="#x1180" ControlByte="#x20" DefaultSize="15" Enable="1">Inputs</Sm>
                <RxPdo Sm="2" Mandatory="1">
                  <Index>#x1600</Index>
                  <Name>Drive outputs</Name>
                  <Exclude>#x1601</Exclude>
                  <Entry><Index>#x6040</Index><SubIndex>0</SubIndex><BitLen>16</BitLen><Name>Controlword</Name><DataType>UINT</DataType></Entry>
                  <Entry><Index>#x6060</Index><SubIndex>0</SubIndex><BitLen>8</BitLen><Name>Modes of operation</Name><DataType>SINT</DataType></Entry>
                  <Entry><Index>#x607A</Index><SubIndex>0</SubIndex><BitLen>32</BitLen><Name>Target position</Name><DataType>DINT</DataType></Entry>
                  <Entry><Index>#x60FF</Index><SubIndex>0</SubIndex><BitLen>32</BitLen><Name>Target velocity</Name><DataType>DINT</DataType></Entry>
                  <Entry><Index>#x6071</Index><SubIndex>0</SubIndex><BitLen>16</BitLen><Name>Target torque</Name><DataType>INT</DataType></Entry>
                  <Entry><Index>#x60B1</Index><SubIndex>0</SubIndex><BitLen>32</BitLen><Name>Velocity offset</Name><DataType>DINT</DataType></Entry>
                  <Entry><Index>#x60B2</Index><SubIndex>0</SubIndex><BitLen>16</BitLen><Name>Torque offset</Name><DataType>INT</DataType></Entry>
                </RxPdo>
                <RxPdo Fixed="1">
                  <Index>#x1601</Index>
                  <Name>CSP outputs</Name>
                  <Exclude>#x1600</Exclude>
                  <Entry><Index>#x6040</Index><SubIndex>0</SubIndex><BitLen>16</BitLen><Name>Controlword</Name><DataType>UINT</DataType></Entry>
                  <Entry><Index>#x607A</Index><SubIndex>0</SubIndex><BitLen>32</BitLen><Name>Target position</Name><DataType>DINT</DataType></Entry>
                  <Entry><Index>0</Index><BitLen>8</BitLen></Entry>
                </RxPdo>
                <TxPdo Sm="3" Mandatory="true">
                  <Index>#x1A00</Index>
                  <Name>Drive inputs</Name>
                  <Entry><Index>#x6041</Index><SubIndex>0</SubIndex><BitLen>16</BitLen><Name>Statusword</Name><DataType>UINT</DataType></Entry>
                  <Entry><Index>#x6061</Index><SubIndex>0</SubIndex><BitLen>8</BitLen><Name>Modes of operation display</Name><DataType>SINT</DataType></Entry>
                  <Entry><Index>#x6064</Index><SubIndex>0</SubIndex><BitLen>32</BitLen><Name>Position actual value</Name><DataType>DINT</DataType></Entry>
                  <Entry><Index>#x606C</Index><SubIndex>0</SubIndex><BitLen>32</BitLen><Name>Velocity actual value</Name><DataType>DINT</DataType></Entry>
                  <Entry><Index>#x6077</Index><SubIndex>0</SubIndex><BitLen>16</BitLen><Name>Torque actual value</Name><DataType>INT</DataType></Entry>
                  <Entry><Index>#x603F</Index><SubIndex>0</SubIndex><BitLen>16</BitLen><Name>Error code</Name><DataType>UINT</DataType></Entry>
                </TxPdo>
                <Mailbox DataLinkLayer="true">
                  <CoE SdoInfo="true" PdoAssign="true" PdoConfig="true" CompleteAccess="false" SegmentedSdo="true">
                    <InitCmd>
                      <Transition>PS</Transition>
                      <Index>#x6060</Index>
                      <SubIndex>0</SubIndex>
                      <Data>08</Data>
                      <Comment>Mode of operation: CSP</Comment>
                    </InitCmd>
                    <InitCmd>
                      <Transition>IP</Transition>
                      <Transition>PS</Transition>
                      <Index>#x60C2</Index>
                      <SubIndex>1</SubIndex>
                      <Data>01</Data>
                      <Comment>Interpolation period 1 ms</Comment>
                    </InitCmd>
                    <InitCmd>
                      <Transition>PS</Transition>
                      <Index>#x60C2</Index>
                      <SubIndex>2</SubIndex>
                      <Data>FD</Data>
                      <Comment>Interpolation period unit 10^-3 s</Comment>
                    </InitCmd>
                  </CoE>
                </Mailbox>
                <Dc>
                  <OpMode>
                    <Name>DC</Name>
                    <Desc>DC-synchron</Desc>
                    <AssignActivate>#x0300</AssignActivate>
                    <CycleTimeSync0 Factor="1">0</CycleTimeSync0>
                    <ShiftTimeSync0>0</ShiftTimeSync0>
                  </OpMode>
                  <OpMode>
                    <Name>FreeRun</Name>
                    <Desc>SM-synchron</Desc>
                    <AssignActivate>#x0000</AssignActivate>
                  </OpMode>
                </Dc>
                <Eeprom><ByteSize>2048</ByteSize><ConfigData>080E00CC0000</ConfigData></Eeprom>
              </Device>
              <Device Physics="YY">
                <Type ProductCode="#x00000100" RevisionNo="#x00010000">RT-IMU-100</Type>
                <Name>Rt bench IMU</Name>
                <Fmmu>Inputs</Fmmu>
                <Fmmu>MBoxState</Fmmu>
                <Sm StartAddress="#x1000" ControlByte="#x26" DefaultSize="128" Enable="1">MBoxOut</Sm>
                <Sm StartAddress="#x1080" ControlByte="#x22" DefaultSize="128" Enable="1">MBoxIn</Sm>
                <Sm StartAddress="#x1100" ControlByte="#x64" DefaultSize="0" Enable="0">Outputs</Sm>
                <Sm StartAddress="#x1180" ControlByte="#x20" DefaultSize="32" Enable="1">Inputs</Sm>
                <TxPdo Sm="3" Fixed="1" Mandatory="1">
                  <Index>#x1A00</Index>
                  <Name>IMU inputs</Name>
                  <Entry><Index>#x6000</Index><SubIndex>1</SubIndex><BitLen>32</BitLen><Name>Specific force X</Name><DataType>REAL</DataType></Entry>
                </TxPdo>
                <Mailbox><CoE SdoInfo="0" PdoAssign="0" PdoConfig="0"/></Mailbox>
              </Device>
            </Devices>
          </Descriptions>
        </EtherCATInfo>
        """;

    /// <summary>
    /// Writes <paramref name="xml"/> to a fresh file in a fresh folder under <paramref name="root"/> (the caller's temp
    /// folder, which it deletes); returns the file's path.
    /// </summary>
    public static string Write(string root, string xml, string name = "bench.xml")
    {
        var dir = Path.Combine(root, "rt-esi-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, xml);
        return path;
    }

    /// <summary>Line (1-based) of the first line of <paramref name="xml"/> containing <paramref name="marker"/>.</summary>
    public static int LineOf(string xml, string marker)
    {
        var lines = xml.Split('\n');
        for (int i = 0; i < lines.Length; i++) if (lines[i].Contains(marker, StringComparison.Ordinal)) return i + 1;
        throw new InvalidOperationException($"marker '{marker}' not in the test ESI");
    }
}
