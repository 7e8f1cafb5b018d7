using System.Runtime.InteropServices;
using Rt.Core.Tick;

namespace Rt.ControlLoop.Diagnostics;

/// <summary>
/// Folds every tick's measured state, targets and drive outputs into one 64-bit FNV-1a hash, so two lockstep runs can
/// be compared bit for bit with a single number. Real-time safe (hashes in place, no allocation).
/// </summary>
public sealed class TraceHasher : ITickSink
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public ulong Hash { get; private set; } = Offset;
    public long Ticks { get; private set; }

    public void Enqueue(TickState s)
    {
        ulong h = Hash;
        h = Mix(h, MemoryMarshal.AsBytes(new ReadOnlySpan<long>(in s.Tick)));
        h = Mix(h, MemoryMarshal.AsBytes(s.Position.AsSpan()));
        h = Mix(h, MemoryMarshal.AsBytes(s.Velocity.AsSpan()));
        h = Mix(h, MemoryMarshal.AsBytes(s.Torque.AsSpan()));
        h = Mix(h, MemoryMarshal.AsBytes(s.TargetPosition.AsSpan()));
        h = Mix(h, MemoryMarshal.AsBytes(s.Image.Outputs.AsSpan()));
        h = Mix(h, MemoryMarshal.AsBytes(s.Image.Imus.AsSpan()));
        h = Mix(h, MemoryMarshal.AsBytes(s.Divergence.Score.AsSpan()));
        Hash = h;
        Ticks++;
    }

    private static ulong Mix(ulong h, ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            h ^= b;
            h *= Prime;
        }
        return h;
    }
}
