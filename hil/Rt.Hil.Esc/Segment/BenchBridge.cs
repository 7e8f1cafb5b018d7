using Rt.Core.Config;
using Rt.Drivers.EtherCat.Link;
using Rt.Hil.Esc.Devices;
using Rt.Hil.Esc.Esc;

namespace Rt.Hil.Esc.Segment;

/// <summary>
/// Puts the emulated EtherCAT slaves in front of the bench's physics: before a frame passes the chain, every drive
/// device's inputs are refreshed from its emulated servo drive (and every IMU device from its emulated IMU); after a
/// frame that exchanged process data, each drive device's decoded outputs go to its servo drive. The master sees
/// only frames. Construction is not real-time safe; <see cref="Process"/> is.
/// </summary>
public sealed class BenchBridge : IEtherCatSegment
{
    private readonly EscSegment _segment;
    private readonly Bench _bench;
    private readonly ServoDriveDevice[] _driveDevices; // index = joint (config order)
    private readonly ImuDevice[] _imuDevices;          // index = IMU (config order)

    public BenchBridge(Bench bench, RtConfig config, EscBenchOptions? options = null)
    {
        _bench = bench;
        int drives = config.Joints.Count, imus = config.Imus.Count;
        _segment = EscBenchSegment.FromConfig(config, options); // each device from the config's ESI files (bus.esi) by bus.slaves identity
        var driveDevices = EscBenchSegment.Drives(_segment);
        var imuDevices = EscBenchSegment.Imus(_segment);
        _driveDevices = new ServoDriveDevice[drives];
        _imuDevices = new ImuDevice[imus];
        // The bench chain has the drives at positions 0..n-1 and the IMUs after them; the config says which joint
        // and which IMU sits at which position.
        for (int i = 0; i < drives; i++)
        {
            int position = config.Joints[i].Drive;
            if (position < 0 || position >= drives)
                throw new Core.Errors.InputError(config.SourcePath, $"joints[{i}].drive", $"the bench chain has drives at positions 0..{drives - 1}, got {position}");
            _driveDevices[i] = driveDevices[position];
        }
        for (int j = 0; j < imus; j++)
        {
            int position = config.Imus[j].Device - drives;
            if (position < 0 || position >= imus)
                throw new Core.Errors.InputError(config.SourcePath, $"imus[{j}].device", $"the bench chain has IMUs at positions {drives}..{drives + imus - 1}, got {config.Imus[j].Device}");
            _imuDevices[j] = imuDevices[position];
        }
    }

    public EscSegment Segment => _segment;

    /// <summary>Real-time safe.</summary>
    public int Process(Span<byte> frame, int length)
    {
        var drives = _bench.Drives;
        var imus = _bench.Imus;
        _segment.SetTime(_bench.SimTimeNs);
        for (int i = 0; i < _driveDevices.Length; i++) _driveDevices[i].Feedback = drives[i].Feedback;
        for (int j = 0; j < _imuDevices.Length; j++) _imuDevices[j].Sample = imus[j].Last;
        int n = _segment.Process(frame, length);
        if (n > 0 && _segment.LastFrameExchangedProcessData)
        {
            for (int i = 0; i < _driveDevices.Length; i++)
            {
                // A slave that is not in OP does not pass outputs on: its drive sees "disable voltage" and goes to
                // its safe state, as a real drive behind a SAFEOP slave does (outputs invalid → no torque).
                drives[i].Homing = _driveDevices[i].HomingParameters; // the homing objects the master wrote by SDO
                if (_driveDevices[i].Esc.State == AlState.Op) drives[i].ApplyCommand(_driveDevices[i].Command);
                else drives[i].ApplyCommand(default);
            }
        }
        return n;
    }
}
