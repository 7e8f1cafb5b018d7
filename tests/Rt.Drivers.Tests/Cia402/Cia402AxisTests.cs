using Rt.Drivers.Cia402;

namespace Rt.Drivers.Tests.Cia402;

public class Cia402AxisTests
{
    [Theory]
    [InlineData(0x0000, DriveState.NotReadyToSwitchOn)]
    [InlineData(0x0250, DriveState.SwitchOnDisabled)]
    [InlineData(0x0231, DriveState.ReadyToSwitchOn)]
    [InlineData(0x0233, DriveState.SwitchedOn)]
    [InlineData(0x0237, DriveState.OperationEnabled)]
    [InlineData(0x1637, DriveState.OperationEnabled)]
    [InlineData(0x0217, DriveState.QuickStopActive)]
    [InlineData(0x021F, DriveState.FaultReactionActive)]
    [InlineData(0x0218, DriveState.Fault)]
    [InlineData(0x0208, DriveState.Fault)]
    public void Statusword_decodes_per_the_state_table(int statusword, DriveState expected) =>
        Assert.Equal(expected, Statusword.Decode((ushort)statusword));

    [Fact]
    public void Operate_walks_the_enable_sequence_one_transition_per_cycle()
    {
        var axis = new Cia402Axis();
        Assert.Equal(Controlword.Shutdown, axis.Next(0x0250, AxisRequest.Operate));        // switch on disabled → shutdown
        Assert.Equal(Controlword.SwitchOn, axis.Next(0x0231, AxisRequest.Operate));        // ready → switch on
        Assert.Equal(Controlword.EnableOperation, axis.Next(0x0233, AxisRequest.Operate)); // switched on → enable operation
        Assert.Equal(Controlword.EnableOperation, axis.Next(0x0237, AxisRequest.Operate)); // stays
        Assert.True(axis.IsOperational);
    }

    [Fact]
    public void Off_disables_voltage_from_any_powered_state()
    {
        var axis = new Cia402Axis();
        foreach (ushort sw in new ushort[] { 0x0231, 0x0233, 0x0237, 0x0217 })
            Assert.Equal(Controlword.DisableVoltage, axis.Next(sw, AxisRequest.Off));
    }

    [Fact]
    public void Operate_never_resets_a_drive_fault_by_itself()
    {
        var axis = new Cia402Axis();
        for (int i = 0; i < 5; i++) Assert.Equal(0, axis.Next(0x0218, AxisRequest.Operate) & Controlword.FaultResetBit);
    }

    [Fact]
    public void Fault_reset_is_a_rising_edge_not_a_level()
    {
        var axis = new Cia402Axis();
        ushort first = axis.Next(0x0218, AxisRequest.ResetFault);
        ushort second = axis.Next(0x0218, AxisRequest.ResetFault);
        ushort third = axis.Next(0x0218, AxisRequest.ResetFault);
        Assert.Equal(Controlword.FaultResetBit, first);
        Assert.Equal(0, second & Controlword.FaultResetBit); // falls again so the next request is a new edge
        Assert.Equal(Controlword.FaultResetBit, third);
    }

    [Fact]
    public void Quick_stop_is_sent_only_to_a_drive_that_is_operating()
    {
        var axis = new Cia402Axis();
        Assert.Equal(Controlword.QuickStop, axis.Next(0x0237, AxisRequest.QuickStop));
        Assert.Equal(Controlword.DisableVoltage, axis.Next(0x0250, AxisRequest.QuickStop));
    }
}
