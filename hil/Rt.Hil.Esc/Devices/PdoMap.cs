using Rt.Hil.Esc.Esc;
using Rt.Hil.Esc.ObjectDictionary;

namespace Rt.Hil.Esc.Devices;

/// <summary>
/// The resolved process-data layout of one direction: which object entries sit at which bit offset of the SM buffer,
/// following the current assignment (0x1C12/0x1C13) and mapping (0x16xx/0x1Axx). Rebuilt in place when the master
/// remaps (no allocation), so encode/decode always follow the CURRENT mapping. Real-time safe after construction.
/// </summary>
public sealed class PdoMap
{
    public const int MaxEntries = 64;
    private readonly OdEntry?[] _entries = new OdEntry?[MaxEntries];
    private readonly int[] _bits = new int[MaxEntries];
    private readonly CoeObjectDictionary _od;
    private readonly ushort _assignIndex;

    public PdoMap(CoeObjectDictionary od, ushort assignIndex)
    {
        _od = od;
        _assignIndex = assignIndex;
        Rebuild();
    }

    public int Count { get; private set; }
    public int TotalBits { get; private set; }
    public int TotalBytes => (TotalBits + 7) / 8;

    /// <summary>False if the mapping names an entry that does not exist (the map is then empty). Real-time safe.</summary>
    public bool Rebuild()
    {
        Count = 0;
        TotalBits = 0;
        var assign = _od.Find(_assignIndex);
        if (assign is null) return true;
        int pdos = assign.Find(0)?.U8 ?? 0;
        for (int p = 1; p <= pdos; p++)
        {
            var pdoRef = assign.Find((byte)p);
            if (pdoRef is null) return Fail();
            var mapping = _od.Find(pdoRef.U16);
            if (mapping is null) return Fail();
            int n = mapping.Find(0)?.U8 ?? 0;
            for (int i = 1; i <= n; i++)
            {
                var m = mapping.Find((byte)i);
                if (m is null || Count == MaxEntries) return Fail();
                uint v = m.U32;
                ushort index = (ushort)(v >> 16);
                byte sub = (byte)(v >> 8);
                int bits = (byte)v;
                OdEntry? target = index == 0 ? null : _od.Find(index, sub); // index 0: padding
                if (index != 0 && target is null) return Fail();
                _entries[Count] = target;
                _bits[Count] = bits;
                Count++;
                TotalBits += bits;
            }
        }

        return true;
    }

    private bool Fail()
    {
        Count = 0;
        TotalBits = 0;
        return false;
    }

    /// <summary>Copies the mapped entries' values into <paramref name="buffer"/> (inputs, TxPDO). Real-time safe.</summary>
    public void Encode(Span<byte> buffer)
    {
        int bit = 0;
        for (int i = 0; i < Count; i++)
        {
            var e = _entries[i];
            int bits = _bits[i];
            if (bit + bits > buffer.Length * 8) return;
            if (e is not null) BitCopy.Copy(e.Value, 0, buffer, bit, Math.Min(bits, e.Value.Length * 8));
            bit += bits;
        }
    }

    /// <summary>Copies <paramref name="buffer"/> into the mapped entries (outputs, RxPDO). Real-time safe.</summary>
    public void Decode(ReadOnlySpan<byte> buffer)
    {
        int bit = 0;
        for (int i = 0; i < Count; i++)
        {
            var e = _entries[i];
            int bits = _bits[i];
            if (bit + bits > buffer.Length * 8) return;
            if (e is not null) BitCopy.Copy(buffer, bit, e.Value, 0, Math.Min(bits, e.Value.Length * 8));
            bit += bits;
        }
    }
}
