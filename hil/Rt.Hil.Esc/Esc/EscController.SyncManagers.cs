using R = Rt.Hil.Esc.Esc.EscRegisters;

namespace Rt.Hil.Esc.Esc;

/// <summary>SyncManager buffer rules (mailbox, 3-buffer) on the master side and the PDI-side API the device firmware uses.</summary>
public sealed partial class EscController
{
    // ---------------------------------------------------------------- SyncManagers

    private int FindSm(int p, int end, out int runEnd)
    {
        runEnd = Math.Min(end, MemorySize);
        if (p < R.ProcessRam)
        {
            runEnd = Math.Min(runEnd, R.ProcessRam);
            return -1;
        }

        for (int i = 0; i < SmCount; i++)
        {
            int b = R.Sm0 + i * 8;
            if ((_mem[b + R.SmActivate] & 1) == 0) continue;
            int start = U16(b), len = U16(b + R.SmLength);
            if (len == 0 || start < R.ProcessRam || start + len > MemorySize) continue; // only SMs inside process RAM protect
            int smEnd = start + len;
            if (p >= start && p < smEnd)
            {
                runEnd = Math.Min(runEnd, smEnd);
                return i;
            }

            if (start > p && start < runEnd) runEnd = start;
        }

        return -1;
    }

    private static bool IsMailbox(byte control) => (control & 0x03) == 0x02;
    private static bool IsEcatWrite(byte control) => (control & 0x0C) == 0x04;

    private bool SmRead(int sm, int from, int to, Span<byte> dst, bool orInto)
    {
        int b = R.Sm0 + sm * 8;
        byte control = _mem[b + R.SmControl];
        int start = U16(b), end = start + U16(b + R.SmLength);
        if (IsMailbox(control))
        {
            if (IsEcatWrite(control) || (_mem[b + R.SmStatus] & 0x08) == 0) return false; // read of an empty mailbox
            Transfer(_mem.AsSpan(from, to - from), dst, orInto);
            if (to == end)
            {
                _mem[b + R.SmStatus] = (byte)((_mem[b + R.SmStatus] & ~0x08) | 0x02); // emptied; "read" event
            }

            return true;
        }

        if (!IsEcatWrite(control) && from == start && _pdiBufferValid[sm])
        {
            // 3-buffer mode: the master's read starts on the newest complete buffer the PDI committed.
            _pdiBuffer[sm].AsSpan(0, end - start).CopyTo(_mem.AsSpan(start));
        }

        Transfer(_mem.AsSpan(from, to - from), dst, orInto);
        if (to == end && !IsEcatWrite(control)) _mem[b + R.SmStatus] |= 0x02;
        return true;
    }

    private bool SmWrite(int sm, int from, int to, ReadOnlySpan<byte> src)
    {
        int b = R.Sm0 + sm * 8;
        byte control = _mem[b + R.SmControl];
        if (!IsEcatWrite(control)) return false; // the master cannot write a buffer it reads
        int start = U16(b), end = start + U16(b + R.SmLength);
        if (IsMailbox(control))
        {
            if ((_mem[b + R.SmStatus] & 0x08) != 0) return false; // write to a full mailbox
            src.CopyTo(_mem.AsSpan(from));
            if (to == end) _mem[b + R.SmStatus] |= 0x08 | 0x01; // full when the last byte is written
            return true;
        }

        src.CopyTo(_mem.AsSpan(from));
        if (to == end)
        {
            // 3-buffer mode: a complete write becomes the newest buffer for the PDI.
            _mem.AsSpan(start, end - start).CopyTo(_pdiBuffer[sm]);
            _pdiBufferValid[sm] = true;
            _outputsNew[sm] = true;
            _mem[b + R.SmStatus] = (byte)((_mem[b + R.SmStatus] & ~0x30) | 0x01);
            _lastOutputsNs = _benchTimeNs;
            _outputsSinceSafeOp = true;
            _mem[R.WatchdogStatusProcessData] = 1;
        }

        return true;
    }

    private void ResetSmState(int sm, bool enabled)
    {
        int b = R.Sm0 + sm * 8;
        _mem[b + R.SmStatus] = (byte)(enabled && !IsMailbox(_mem[b + R.SmControl]) ? 0x30 : 0x00);
        _pdiBufferValid[sm] = false;
        _outputsNew[sm] = false;
        _repeatRequested[sm] = false;
    }

    // ---------------------------------------------------------------- PDI side (device firmware)

    /// <summary>Whether the master has filled the ECAT-write mailbox on <paramref name="sm"/>. Real-time safe.</summary>
    public bool MailboxFull(int sm) => (_mem[R.Sm0 + sm * 8 + R.SmStatus] & 0x08) != 0;

    /// <summary>Whether SyncManager <paramref name="sm"/> is enabled by the master. Real-time safe.</summary>
    public bool SmEnabled(int sm) => (_mem[R.Sm0 + sm * 8 + R.SmActivate] & 1) != 0;

    /// <summary>The memory window of SyncManager <paramref name="sm"/> (start, length as configured). Real-time safe.</summary>
    public Span<byte> SmWindow(int sm)
    {
        int b = R.Sm0 + sm * 8;
        int start = U16(b), len = U16(b + R.SmLength);
        if (start < R.ProcessRam || start + len > MemorySize) return Span<byte>.Empty; // the PDI never touches registers
        return _mem.AsSpan(start, len);
    }

    /// <summary>PDI has read the received mailbox: it becomes empty so the master may write again. Real-time safe.</summary>
    public void PdiReleaseMailbox(int sm)
    {
        int b = R.Sm0 + sm * 8;
        _mem[b + R.SmStatus] = (byte)(_mem[b + R.SmStatus] & ~0x09);
    }

    /// <summary>PDI writes a reply into the ECAT-read mailbox <paramref name="sm"/>; false if it is still full or too small. Real-time safe.</summary>
    public bool PdiWriteMailbox(int sm, ReadOnlySpan<byte> message)
    {
        int b = R.Sm0 + sm * 8;
        if (!SmEnabled(sm) || (_mem[b + R.SmStatus] & 0x08) != 0) return false;
        var window = SmWindow(sm);
        if (message.Length > window.Length) return false;
        message.CopyTo(window);
        window.Slice(message.Length).Clear();
        _mem[b + R.SmStatus] = (byte)((_mem[b + R.SmStatus] & ~0x02) | 0x08);
        return true;
    }

    /// <summary>Takes the master's pending repeat request on <paramref name="sm"/> (a toggle of 0x0806 bit 1). Real-time safe.</summary>
    public bool TakeRepeatRequest(int sm)
    {
        if (!_repeatRequested[sm]) return false;
        _repeatRequested[sm] = false;
        return true;
    }

    /// <summary>PDI answers a repeat request: copies the reply again and toggles the repeat-ack (0x0807 bit 1) to match. Real-time safe.</summary>
    public void PdiRepeatMailbox(int sm, ReadOnlySpan<byte> lastMessage)
    {
        int b = R.Sm0 + sm * 8;
        _mem[b + R.SmStatus] = (byte)(_mem[b + R.SmStatus] & ~0x08); // discard whatever is there
        if (!lastMessage.IsEmpty) PdiWriteMailbox(sm, lastMessage);
        _mem[b + R.SmPdiControl] = (byte)((_mem[b + R.SmPdiControl] & ~0x02) | (_mem[b + R.SmActivate] & 0x02));
    }

    /// <summary>The newest complete output buffer of SM <paramref name="sm"/>, if one arrived since the last call. Real-time safe.</summary>
    public bool TryTakeOutputs(int sm, out ReadOnlySpan<byte> outputs)
    {
        if (!_outputsNew[sm])
        {
            outputs = default;
            return false;
        }

        _outputsNew[sm] = false;
        outputs = _pdiBuffer[sm].AsSpan(0, SmWindow(sm).Length);
        return true;
    }

    /// <summary>The PDI-side input buffer of SM <paramref name="sm"/> to fill; publish it with <see cref="CommitInputs"/>. Real-time safe.</summary>
    public Span<byte> InputsBuffer(int sm) => _pdiBuffer[sm].AsSpan(0, SmWindow(sm).Length);

    /// <summary>Publishes the filled input buffer: the master's next read starting at the SM's first byte gets it. Real-time safe.</summary>
    public void CommitInputs(int sm)
    {
        _pdiBufferValid[sm] = true;
        int b = R.Sm0 + sm * 8;
        _mem[b + R.SmStatus] = (byte)(_mem[b + R.SmStatus] & ~0x30);
    }
}
