namespace Rt.TestSupport;

/// <summary>
/// The temporary folders a test creates, deleted when the test is disposed. Best effort: a folder left behind is
/// harmless, so a failure to delete never fails a test.
/// </summary>
public sealed class TempFolders : IDisposable
{
    private readonly List<string> _dirs = [];

    /// <summary>A new folder in the system's temp folder, named <paramref name="prefix"/> and a random suffix.</summary>
    public string New(string prefix)
    {
        string dir = Directory.CreateTempSubdirectory(prefix).FullName;
        lock (_dirs) _dirs.Add(dir);
        return dir;
    }

    public void Dispose()
    {
        lock (_dirs)
        {
            foreach (var dir in _dirs) Delete(dir);
            _dirs.Clear();
        }
    }

    /// <summary>Deletes a folder and everything in it, quietly (best effort).</summary>
    public static void Delete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
