namespace Rt.Fuzz;

/// <summary>Feeds one input to a reader. Anything it throws that the target does not document is a crash.</summary>
public delegate void FuzzAction(ReadOnlySpan<byte> input);

/// <summary>An oracle of a target found the reader's output inconsistent with its input (a crash, not a documented error).</summary>
public sealed class FuzzInvariantException(string message) : Exception(message);

/// <summary>
/// One fuzz target: a reader of outside input, the exceptions that reader documents for bad input (those are the
/// expected outcome and are swallowed), and seed inputs built in code (tools/fuzz.sh adds the repo's own files).
/// Not real-time safe.
/// </summary>
public sealed class FuzzTarget(string name, string reads, FuzzAction action, Type[] documented, Func<IEnumerable<(string Name, byte[] Bytes)>> seeds)
{
    /// <summary>Name used on the command line and as the folder of its regressions (tests/Rt.Fuzz/regressions/NAME).</summary>
    public string Name { get; } = name;

    /// <summary>What the target reads, for --list.</summary>
    public string Reads { get; } = reads;

    /// <summary>The exception types (and subclasses) a bad input may legitimately raise.</summary>
    public IReadOnlyList<Type> Documented { get; } = documented;

    /// <summary>Seeds made in code (hand-made frames, generated images, round-tripped files).</summary>
    public IEnumerable<(string Name, byte[] Bytes)> Seeds() => seeds();

    /// <summary>Runs one input; documented exceptions are the expected rejection, anything else escapes (a crash).</summary>
    public void Run(ReadOnlySpan<byte> input) => Rejection(input);

    /// <summary>Runs one input; returns the documented exception that rejected it (null if accepted); anything else escapes.</summary>
    public Exception? Rejection(ReadOnlySpan<byte> input)
    {
        try
        {
            action(input);
            return null;
        }
        catch (Exception e) when (IsDocumented(e))
        {
            return e; // a clean rejection of bad input: what the reader promises
        }
    }

    public bool IsDocumented(Exception e)
    {
        foreach (var t in Documented)
            if (t.IsInstanceOfType(e)) return true;
        return false;
    }
}
