using Rt.Fuzz;

// Rt.Fuzz: coverage-guided fuzz targets for every reader of outside input. Not real-time safe.
//   list                          the targets
//   seed TARGET DIR               write the target's code-made seeds into DIR
//   run TARGET FILE|DIR...        feed files through the target; prints one line per crash, exit 1 if any
//   fuzz TARGET [--out-of-process] the afl++ loop (SharpFuzz fork server); started by tools/fuzz.sh
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: Rt.Fuzz list | seed TARGET DIR | run TARGET FILE|DIR... | fuzz TARGET");
    return 2;
}
if (args[0] == "list")
{
    foreach (var t in FuzzTargets.All) Console.WriteLine($"{t.Name,-10} {t.Reads}");
    return 0;
}
if (args.Length < 2 || FuzzTargets.Find(args[1]) is not { } target)
{
    Console.Error.WriteLine($"Rt.Fuzz: unknown target '{(args.Length > 1 ? args[1] : "")}'; expected one of: {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
    return 2;
}
switch (args[0])
{
    case "seed" when args.Length == 3:
        Directory.CreateDirectory(args[2]);
        foreach (var (name, bytes) in target.Seeds()) File.WriteAllBytes(Path.Combine(args[2], $"code-{name}.bin"), bytes);
        return 0;
    case "run" when args.Length >= 3:
        int crashes = 0, files = 0;
        bool explain = Environment.GetEnvironmentVariable("RT_FUZZ_EXPLAIN") == "1";
        foreach (var file in args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal).ToArray() : new[] { p }))
        {
            files++;
            try
            {
                var rejected = target.Rejection(File.ReadAllBytes(file));
                if (explain) Console.WriteLine($"{(rejected is null ? "accepted" : "rejected")} {Path.GetFileName(file)}{(rejected is null ? "" : ": " + rejected.Message.Split('\n')[0])}");
            }
            catch (Exception e)
            {
                crashes++;
                Console.WriteLine($"CRASH {file}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                Console.WriteLine("  at " + e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains(" Rt.", StringComparison.Ordinal) && !l.Contains("Rt.Fuzz", StringComparison.Ordinal))?.Trim());
            }
        }
        Console.WriteLine($"{target.Name}: {files} inputs, {crashes} crashes");
        return crashes == 0 ? 0 : 1;
    case "fuzz":
        var buffer = new byte[1 << 20];
        void Once(Stream stream)
        {
            int length = 0, n;
            while (length < buffer.Length && (n = stream.Read(buffer, length, buffer.Length - length)) > 0) length += n;
            target.Run(buffer.AsSpan(0, length));
        }
        // Out of process: the input runs in a child the fork server restarts, so a stack overflow (which no catch can
        // stop) becomes a saved crash instead of killing the fork server. Slower; tools/fuzz.sh uses it for the YAML readers.
        if (args.Length > 2 && args[2] == "--out-of-process") SharpFuzz.Fuzzer.OutOfProcess.Run(Once);
        else SharpFuzz.Fuzzer.Run(Once);
        return 0;
    default:
        Console.Error.WriteLine("usage: Rt.Fuzz list | seed TARGET DIR | run TARGET FILE|DIR... | fuzz TARGET");
        return 2;
}
