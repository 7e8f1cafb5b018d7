namespace Rt.Hil.Esc.ObjectDictionary;

/// <summary>
/// The CoE object dictionary of one emulated device: objects sorted by index for allocation-free lookup.
/// Build with <see cref="Add"/> (not real-time safe), then look up with <see cref="Find"/> (real-time safe).
/// </summary>
public sealed class CoeObjectDictionary
{
    private OdObject[] _objects = [];

    public IReadOnlyList<OdObject> Objects => _objects;

    /// <summary>Adds (or replaces) an object. Not real-time safe.</summary>
    public OdObject Add(OdObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var list = new List<OdObject>(_objects);
        list.RemoveAll(o => o.Index == obj.Index);
        list.Add(obj);
        list.Sort((a, b) => a.Index.CompareTo(b.Index));
        _objects = list.ToArray();
        return obj;
    }

    /// <summary>Adds a VAR object with one entry at subindex 0. Not real-time safe.</summary>
    public OdEntry AddVar(ushort index, string name, OdDataType type, int bits, OdAccess access)
    {
        var e = new OdEntry(index, 0, name, type, bits, access);
        Add(new OdObject(index, name, OdObject.Var, e));
        return e;
    }

    /// <summary>The object at <paramref name="index"/>, or null. Real-time safe (binary search).</summary>
    public OdObject? Find(ushort index)
    {
        int lo = 0, hi = _objects.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = _objects[mid].Index.CompareTo(index);
            if (c == 0) return _objects[mid];
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }

        return null;
    }

    /// <summary>The entry at index:sub, or null. Real-time safe.</summary>
    public OdEntry? Find(ushort index, byte sub) => Find(index)?.Find(sub);
}
