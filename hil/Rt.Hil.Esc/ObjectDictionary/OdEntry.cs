using System.Buffers.Binary;

namespace Rt.Hil.Esc.ObjectDictionary;

/// <summary>CoE basic data types (ETG.1000.6 / CiA 301 data type indices).</summary>
public enum OdDataType : ushort
{
    Boolean = 0x0001,
    Integer8 = 0x0002,
    Integer16 = 0x0003,
    Integer32 = 0x0004,
    Unsigned8 = 0x0005,
    Unsigned16 = 0x0006,
    Unsigned32 = 0x0007,
    Real32 = 0x0008,
    VisibleString = 0x0009,
    OctetString = 0x000A,
    Integer64 = 0x0015,
    Unsigned64 = 0x001B,
}

/// <summary>Access rights and PDO mappability of one object entry.</summary>
[Flags]
public enum OdAccess : byte
{
    None = 0,
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,
    RxPdo = 0x10,
    TxPdo = 0x20,
}

/// <summary>
/// One subindex of an object: its type, size, access and value storage (a fixed byte array sized at construction,
/// so SDO and PDO traffic never allocates). Strings keep their current length in <see cref="Length"/>.
/// Construction is not real-time safe; the accessors are.
/// </summary>
public sealed class OdEntry
{
    public OdEntry(ushort index, byte subIndex, string name, OdDataType type, int bitLength, OdAccess access)
    {
        if (bitLength <= 0) throw new ArgumentOutOfRangeException(nameof(bitLength), "an entry needs at least one bit");
        Index = index;
        SubIndex = subIndex;
        Name = name;
        Type = type;
        BitLength = bitLength;
        Access = access;
        Value = new byte[(bitLength + 7) / 8];
        Length = Value.Length;
    }

    public ushort Index { get; }
    public byte SubIndex { get; }
    public string Name { get; }
    public OdDataType Type { get; }

    /// <summary>Size in bits (for strings: the maximum).</summary>
    public int BitLength { get; }

    public OdAccess Access { get; }

    /// <summary>The value bytes, little-endian as on the wire.</summary>
    public byte[] Value { get; }

    /// <summary>Current length in bytes (equal to the size except for strings).</summary>
    public int Length { get; set; }

    public bool IsString => Type is OdDataType.VisibleString or OdDataType.OctetString;
    public bool CanRead => (Access & OdAccess.Read) != 0;
    public bool CanWrite => (Access & OdAccess.Write) != 0;
    public ReadOnlySpan<byte> Current => Value.AsSpan(0, Length);

    public ushort U16 => BinaryPrimitives.ReadUInt16LittleEndian(Value);
    public short I16 => BinaryPrimitives.ReadInt16LittleEndian(Value);
    public uint U32 => BinaryPrimitives.ReadUInt32LittleEndian(Value);
    public int I32 => BinaryPrimitives.ReadInt32LittleEndian(Value);
    public byte U8 => Value[0];
    public sbyte I8 => (sbyte)Value[0];
    public float F32 => BinaryPrimitives.ReadSingleLittleEndian(Value);

    public void Set(byte v) => Value[0] = v;
    public void Set(sbyte v) => Value[0] = (byte)v;
    public void Set(ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(Value, v);
    public void Set(short v) => BinaryPrimitives.WriteInt16LittleEndian(Value, v);
    public void Set(uint v) => BinaryPrimitives.WriteUInt32LittleEndian(Value, v);
    public void Set(int v) => BinaryPrimitives.WriteInt32LittleEndian(Value, v);
    public void Set(float v) => BinaryPrimitives.WriteSingleLittleEndian(Value, v);

    /// <summary>Sets a string value (not real-time safe: encodes a string; use at construction).</summary>
    public void SetString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int n = System.Text.Encoding.ASCII.GetBytes(text, Value);
        Length = n;
    }
}

/// <summary>One object (index) with its subindex entries. Not real-time safe to construct.</summary>
public sealed class OdObject
{
    private readonly OdEntry?[] _bySub = new OdEntry?[256];

    public OdObject(ushort index, string name, byte objectCode, params OdEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Index = index;
        Name = name;
        ObjectCode = objectCode;
        Entries = entries;
        foreach (var e in entries) _bySub[e.SubIndex] = e;
    }

    public const byte Var = 7, Array = 8, Record = 9;

    public ushort Index { get; }
    public string Name { get; }

    /// <summary>7 VAR, 8 ARRAY, 9 RECORD.</summary>
    public byte ObjectCode { get; }

    public IReadOnlyList<OdEntry> Entries { get; }

    /// <summary>The entry at <paramref name="sub"/>, or null. Real-time safe.</summary>
    public OdEntry? Find(byte sub) => _bySub[sub];
}
