using Rt.Core.Concurrency;
using Rt.Core.Faults;
using Rt.Host.Ui;

namespace Rt.Host.Tests;

/// <summary>rt run's final report names a slave as its live fault line did: by position and by the robot's name for it.</summary>
public sealed class RunReportTests
{
    private static string SlaveName(int position) => position == 13 ? "slave 13 (l_foot_imu)" : $"slave {position}";

    [Fact]
    public void The_final_fault_section_names_the_slave_by_its_configured_name_as_the_live_line_does()
    {
        var ring = new SpscRing<Fault>(16);
        for (int tick = 100; tick < 103; tick++) Assert.True(ring.TryPush(Fault.Of(FaultCode.BusSlaveLeftOp, 13, tick, expected: 8, received: 4)));
        using var live = new StringWriter();
        var faults = new FaultReporter(ring, live, SlaveName);
        faults.Drain();
        Assert.Equal("fault: slave 13 (l_foot_imu) left OP at tick 100 (AL status 0x04)", live.ToString().Trim());

        using var report = new StringWriter();
        RunReport.Faults(report, faults);
        var lines = report.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["faults: 3", "3× slave 13 (l_foot_imu) left OP at tick 100 (AL status 0x04)"], lines);
    }

    [Fact]
    public void Without_a_bus_to_name_slaves_the_report_says_the_position_and_no_faults_is_one_line()
    {
        var ring = new SpscRing<Fault>(4);
        using var sink = new StringWriter();
        var none = new FaultReporter(ring, sink);
        using var empty = new StringWriter();
        RunReport.Faults(empty, none);
        Assert.Equal("faults: none", empty.ToString().Trim());

        Assert.True(ring.TryPush(Fault.Of(FaultCode.BusSlaveLeftOp, 2, 7, expected: 8, received: 2)));
        none.Drain();
        using var report = new StringWriter();
        RunReport.Faults(report, none);
        Assert.Contains("1× slave at position 2 left OP at tick 7", report.ToString(), StringComparison.Ordinal);
    }
}
