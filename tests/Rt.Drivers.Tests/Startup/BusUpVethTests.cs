using Rt.Core.Config;
using Rt.Drivers.EtherCat;
using Rt.Drivers.EtherCat.Esi;
using Rt.Drivers.EtherCat.Link;
using Rt.Drivers.EtherCat.Startup;
using Rt.Drivers.EtherCat.Transport;
using Rt.Drivers.Tests.Esi;
using Rt.Drivers.Tests.EtherCat;
using Rt.Hil.Esc.Segment;
using Xunit.Abstractions;
using EscAlState = Rt.Hil.Esc.Esc.AlState;

namespace Rt.Drivers.Tests.Startup;

/// <summary>
/// <c>rt bus up</c>'s bring-up over real frames: the master's raw socket on one end of a veth pair, the emulated slaves
/// behind a raw socket in a private network namespace. Needs root (else skipped with the reason). Timeouts are generous
/// wall-clock durations: the emulator is a thread on a loaded machine.
/// </summary>
public sealed class BusUpVethTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void Bus_up_with_esi_and_a_remapping_config_reaches_op_over_veth_and_comes_down()
    {
        using var ns = NetNamespace.TryCreate(out string reason);
        Skip.If(ns is null, reason);

        var segment = EscBenchSegment.Create(2, 1);
        using var stop = new CancellationTokenSource();
        string? slaveError = null;
        var ready = new ManualResetEventSlim();
        var slaveThread = new Thread(() =>
        {
            try
            {
                if (!ns.EnterOnThisThread(out int errno)) throw new InvalidOperationException($"setns failed, errno {errno}");
                using var slaveLink = new RawSocketLink(ns.SlaveInterface);
                var buffer = new byte[2048];
                ready.Set();
                while (!stop.IsCancellationRequested)
                {
                    if (!slaveLink.WaitForFrame(20)) continue;
                    int n;
                    while ((n = slaveLink.TryReceive(buffer)) > 0)
                    {
                        int back = segment.Process(buffer, n);
                        if (back > 0) slaveLink.TrySend(buffer.AsSpan(0, back));
                    }
                }
            }
            catch (Exception e)
            {
                slaveError = e.Message;
                ready.Set();
            }
        }) { IsBackground = true, Name = "veth slave side" };
        slaveThread.Start();
        try
        {
            Assert.True(ready.Wait(5000), "slave side did not start");
            Assert.Null(slaveError);
            var cfg = new SlaveIdentityConfig { Position = 1, Vendor = 0xE7A, Product = 0x402, Revision = 0x00010000 };
            cfg.Pdo = new SlavePdoConfig { Map = [new PdoMappingConfig { Pdo = 0x1600, Entries = [0x60400010, 0x607A0020] }] };
            var config = new RtConfig { SourcePath = "robot.yaml" };
            config.Bus.Slaves = [cfg];
            config.Bus.Slaves.Insert(0, new SlaveIdentityConfig { Position = 0, Vendor = 0xE7A, Product = 0x402, Revision = 0x00010000 });
            config.Bus.Slaves.Add(new SlaveIdentityConfig { Position = 2, Vendor = 0xE7A, Product = 0x100, Revision = 0x00010000 });

            using var raw = new RawSocketLink(ns.MasterInterface);
            var options = new MasterOptions
            {
                Transport = new TransportOptions { ReplyTimeoutNs = 200_000_000, Retries = 5 },
                DcStaticDriftFrames = 50,
                CycleReplyTimeoutNs = 100_000_000,
                StateTimeoutNs = 10_000_000_000,
                MailboxTimeoutNs = 2_000_000_000,
            };
            var report = BusUp.Run(raw, new BusUpOptions
            {
                Esi = new EsiLibrary([EsiReader.ReadText(TestEsi.BenchDrive, "bench.xml")]),
                Config = config,
                DurationNs = 100_000_000,
                MasterTimeNs = 5_000_000_000,
            }, options);
            output.WriteLine(report.ToString());
            Assert.True(report.ExitCode == 0 || report.LostFrames > 0, report.Error); // a lost frame on a loaded machine is not the bring-up's fault
            Assert.True(report.AllOp, report.Error);
            Assert.Equal(6, report.Slaves[1].RxBytes);
            Assert.Equal(19, report.Slaves[0].RxBytes);
            Assert.Equal("Rt bench servo drive", report.Slaves[0].EsiName);
            Assert.All(segment.Slaves, s => Assert.Equal(EscAlState.Init, s.Esc.State));
        }
        finally
        {
            stop.Cancel();
            slaveThread.Join(5000);
        }
    }
}
