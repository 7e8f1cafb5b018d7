using R = Rt.Hil.Esc.Esc.EscRegisters;

namespace Rt.Hil.Esc.Esc;

/// <summary>The AL state machine (ETG.1000.6 with SOES-style checks): requests, refusals with status codes, error latch and acknowledge.</summary>
public sealed partial class EscController
{
    // ---------------------------------------------------------------- AL state machine

    /// <summary>Fault injection: forces the AL status to <paramref name="state"/> with the error indicator and <paramref name="code"/>. Real-time safe.</summary>
    public void InjectAlError(AlState state, ushort code) => SetAlStatus(state, code);

    /// <summary>Fault injection: an upward request for this state is refused with <see cref="RefusalCode"/> (None: off). Real-time safe.</summary>
    public AlState RefuseState { get; set; }

    /// <summary>The AL status code a refusal by <see cref="RefuseState"/> carries.</summary>
    public ushort RefusalCode { get; set; } = 0x001A; // synchronization error

    private void SetAlStatus(AlState state, ushort code)
    {
        var from = State;
        _mem[R.AlStatus] = (byte)((byte)state | (code != 0 ? 0x10 : 0));
        _mem[R.AlStatus + 1] = 0;
        W16(R.AlStatusCode, code);
        if (from != state) StateChanged(from, state);
    }

    private void StateChanged(AlState from, AlState to)
    {
        if (to is AlState.SafeOp && from is AlState.PreOp) _outputsSinceSafeOp = false;
        if (to is AlState.Op) _lastOutputsNs = _benchTimeNs;
        Application?.OnAlStateChanged(from, to);
    }

    private static int Rank(AlState s) => s switch
    {
        AlState.Init => 1,
        AlState.PreOp => 2,
        AlState.Boot => 2,
        AlState.SafeOp => 3,
        AlState.Op => 4,
        _ => 0,
    };

    private void ProcessAlControl()
    {
        byte control = _mem[R.AlControl];
        var requested = (AlState)(control & 0x0F);
        bool ack = (control & 0x10) != 0;
        var current = State;
        bool valid = requested is AlState.Init or AlState.PreOp or AlState.Boot or AlState.SafeOp or AlState.Op;

        if (AlError && !ack)
        {
            // Error latched: only a step down is carried out (the indicator stays until acknowledged).
            if (valid && requested != AlState.Boot && Rank(requested) < Rank(current))
            {
                ushort keep = AlStatusCode;
                _mem[R.AlStatus] = (byte)((byte)requested | 0x10);
                W16(R.AlStatusCode, keep);
                StateChanged(current, requested);
            }

            return;
        }

        if (!valid)
        {
            SetAlStatus(current, AlStatusCodes.UnknownState);
            return;
        }

        if (requested == current)
        {
            SetAlStatus(current, AlStatusCodes.NoError);
            return;
        }

        if (current == AlState.Boot)
        {
            SetAlStatus(requested == AlState.Init ? AlState.Init : current, requested == AlState.Init ? AlStatusCodes.NoError : AlStatusCodes.InvalidStateChange);
            return;
        }

        if (requested == AlState.Boot)
        {
            SetAlStatus(current, current == AlState.Init ? AlStatusCodes.BootstrapNotSupported : AlStatusCodes.InvalidStateChange);
            return;
        }

        if (Rank(requested) < Rank(current))
        {
            SetAlStatus(requested, AlStatusCodes.NoError); // downward transitions are always allowed
            return;
        }

        if (RefuseState != AlState.None && requested == RefuseState)
        {
            SetAlStatus(current, RefusalCode);
            return;
        }

        ushort code = (current, requested) switch
        {
            (AlState.Init, AlState.PreOp) => CheckMailboxSms(),
            (AlState.PreOp, AlState.SafeOp) => CheckProcessDataConfig(),
            (AlState.SafeOp, AlState.Op) => _options.RequireOutputsBeforeOp && Application is { OutputBytes: > 0 } && !_outputsSinceSafeOp
                ? AlStatusCodes.InvalidOutputConfig
                : AlStatusCodes.NoError,
            _ => AlStatusCodes.InvalidStateChange,
        };
        SetAlStatus(code == AlStatusCodes.NoError ? requested : current, code);
    }

    private bool SmMatches(int sm, SyncManagerLayout expected, int length, bool exactControl)
    {
        int b = R.Sm0 + sm * 8;
        byte control = _mem[b + R.SmControl];
        bool controlOk = exactControl ? control == expected.Control : (control & 0x0F) == (expected.Control & 0x0F);
        return SmEnabled(sm) && U16(b) == expected.Start && U16(b + R.SmLength) == length && controlOk;
    }

    private ushort CheckMailboxSms()
    {
        if (_layout.Length < 2) return AlStatusCodes.NoError;
        bool ok = SmMatches(0, _layout[0], _layout[0].Length, exactControl: true) && SmMatches(1, _layout[1], _layout[1].Length, exactControl: true);
        return ok ? AlStatusCodes.NoError : AlStatusCodes.InvalidMailboxConfig;
    }

    private ushort CheckProcessDataConfig()
    {
        var app = Application;
        int outBytes = app?.OutputBytes ?? 0, inBytes = app?.InputBytes ?? 0;
        if (_layout.Length >= 4)
        {
            if (outBytes > 0)
            {
                if (!SmMatches(2, _layout[2], outBytes, exactControl: false)) return AlStatusCodes.InvalidOutputConfig;
                if (_options.RequireFmmus && !FmmuCovers(_layout[2].Start, write: true)) return AlStatusCodes.InvalidOutputConfig;
            }
            else if (SmEnabled(2) && U16(R.Sm0 + 16 + R.SmLength) != 0)
            {
                return AlStatusCodes.InvalidOutputConfig;
            }

            if (inBytes > 0)
            {
                if (!SmMatches(3, _layout[3], inBytes, exactControl: false)) return AlStatusCodes.InvalidInputConfig;
                if (_options.RequireFmmus && !FmmuCovers(_layout[3].Start, write: false)) return AlStatusCodes.InvalidInputConfig;
            }
            else if (SmEnabled(3) && U16(R.Sm0 + 24 + R.SmLength) != 0)
            {
                return AlStatusCodes.InvalidInputConfig;
            }
        }

        if (app is { RequiresSync0: true } && !Sync0Active) return AlStatusCodes.DcSyncConfig;
        return AlStatusCodes.NoError;
    }

    private bool FmmuCovers(int physicalStart, bool write)
    {
        for (int f = 0; f < FmmuCount; f++)
        {
            int b = R.Fmmu0 + f * 16;
            if ((_mem[b + 12] & 1) == 0) continue;
            if ((_mem[b + 11] & (write ? 2 : 1)) == 0) continue;
            int phys = U16(b + 8), len = U16(b + 4);
            if (physicalStart >= phys && physicalStart < phys + len) return true;
        }

        return false;
    }
}
