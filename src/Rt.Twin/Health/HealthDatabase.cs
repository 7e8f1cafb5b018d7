using System.Globalization;
using Microsoft.Data.Sqlite;
using Rt.Core.Errors;

namespace Rt.Twin.Health;

/// <summary>
/// The per-joint health history in an embedded SQLite file (docs/TWIN.md, "Health"). Schema version
/// <see cref="SchemaVersion"/> in <c>PRAGMA user_version</c> and in table <c>meta</c>; tables <c>sessions</c> (one row per
/// calibration or run) and <c>joint_health</c> (one row per joint and session, with the limits in force). Written after
/// a calibration or a run, never from the tick. A file that is not SQLite, is corrupt, or has another schema version is
/// refused with <see cref="InputError"/> before anything is written to it; so is a file SQLite cannot write (read-only,
/// or locked by another writer for longer than <see cref="BusyTimeoutS"/>), with the file and SQLite's reason. A file
/// this class created and could not fill is removed again. Not real-time safe.
/// </summary>
public sealed class HealthDatabase : IDisposable
{
    /// <summary>The schema this code reads and writes.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Seconds a write waits for another connection's lock (a concurrent <c>rt health</c> or writer) before it is refused.</summary>
    public const int BusyTimeoutS = 5;

    private static readonly byte[] SqliteMagic = "SQLite format 3\0"u8.ToArray();
    private readonly SqliteConnection _connection;

    public string Path { get; }

    private HealthDatabase(string path, SqliteConnection connection)
    {
        Path = path;
        _connection = connection;
    }

    /// <summary>Opens an existing history read-only. Throws <see cref="InputError"/> if missing, not SQLite, corrupt or of another schema.</summary>
    public static HealthDatabase OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new InputError(path, "", "health database not found (rt calibrate --health-db or rt health add writes one)");
        CheckHeader(path);
        var db = Connect(path, SqliteOpenMode.ReadOnly);
        db.CheckSchema();
        return db;
    }

    /// <summary>Opens a history for appending, creating it (and its schema) when the file does not exist. Same refusals as <see cref="OpenRead"/>.</summary>
    public static HealthDatabase OpenWrite(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        bool exists = File.Exists(path) && new FileInfo(path).Length > 0;
        if (exists) CheckHeader(path);
        else if (File.Exists(path)) throw Empty(path);
        else CheckFolder(path);
        if (exists)
        {
            var db = Connect(path, SqliteOpenMode.ReadWrite);
            db.CheckSchema();
            return db;
        }
        try
        {
            var created = Connect(path, SqliteOpenMode.ReadWriteCreate);
            created.CreateSchema();
            return created;
        }
        catch (InputError)
        {
            // Nothing of a database that could not be created is left behind (an empty file would be refused next time).
            foreach (string f in (string[])[path, path + "-journal"])
            {
                try { File.Delete(f); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
            throw;
        }
    }

    /// <summary>
    /// Checks, creating and writing nothing, that <see cref="OpenWrite"/> and <see cref="Append"/> can succeed as far as
    /// the file is concerned: an existing file is a health database of this schema that SQLite can write (not read-only,
    /// not locked past <see cref="BusyTimeoutS"/>); a missing one has an existing folder (it is created with its first
    /// entry). Throws <see cref="InputError"/> naming the file otherwise.
    /// </summary>
    public static void CheckWritable(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureProvider(); // a missing native SQLite is found now (exit 3), not after the run
        if (Directory.Exists(path)) throw new InputError(path, "", "is a directory; expected a health database file");
        if (!File.Exists(path))
        {
            CheckFolder(path);
            return;
        }
        if (new FileInfo(path).Length == 0) throw Empty(path);
        CheckHeader(path);
        using var db = Connect(path, SqliteOpenMode.ReadWrite);
        db.CheckSchema();
        db.CheckWriteAccess();
    }

    private static InputError Empty(string path) =>
        new(path, "", "the file is empty, not a health database; refusing to overwrite it (remove it or name another file)");

    private static void CheckFolder(string path)
    {
        string? folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
            throw new InputError(path, "", $"folder {folder} does not exist; expected the health database's folder");
    }

    // Read-only (file mode, a read-only mount: SQLite then opens it read-only) or locked: refused before anything moves.
    private void CheckWriteAccess()
    {
        try
        {
            if (SQLitePCL.raw.sqlite3_db_readonly(_connection.Handle, "main") == 1)
                throw new InputError(Path, "", "cannot write the health database: SQLite opened it read-only (the file or its filesystem refuses writes); expected a file this user can write");
            using var tx = _connection.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: the write lock, then rolled back
            tx.Rollback();
        }
        catch (SqliteException e)
        {
            Dispose();
            throw CannotWrite(e);
        }
    }

    private InputError CannotWrite(SqliteException e) => new(Path, "", $"cannot write the health database: {e.Message}", e);

    /// <summary>The native SQLite library the bundle loads (published beside <c>rt</c>; tools/install.sh puts it in /usr/local/lib).</summary>
    public const string NativeLibrary = "libe_sqlite3.so";

    private static readonly Lock ProviderLock = new();
    private static bool _providerReady;

    // The bundle's provider is set explicitly: Microsoft.Data.Sqlite otherwise finds it by reflection, which NativeAOT trims.
    // A native library that is not installed is a missing library (exit 3), not a type initializer's bug report.
    private static void EnsureProvider()
    {
        lock (ProviderLock)
        {
            if (_providerReady) return;
            try
            {
                SQLitePCL.Batteries_V2.Init();
                _ = SQLitePCL.raw.sqlite3_libversion_number(); // binds the native library now, not at the first query
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException || e.InnerException is DllNotFoundException)
            {
                throw new DllNotFoundException(
                    $"{NativeLibrary} (SQLite, for the health database) could not be loaded: install it beside rt or in /usr/local/lib (tools/install.sh does)", e);
            }
            _providerReady = true;
        }
    }

    private static HealthDatabase Connect(string path, SqliteOpenMode mode)
    {
        EnsureProvider();
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false, DefaultTimeout = BusyTimeoutS }.ToString();
        var connection = new SqliteConnection(cs);
        try
        {
            connection.Open();
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new InputError(path, "", $"cannot open the health database: {e.Message}", e);
        }
        return new HealthDatabase(path, connection);
    }

    private static void CheckHeader(string path)
    {
        Span<byte> head = stackalloc byte[16];
        int n;
        using (var f = File.OpenRead(path)) n = f.ReadAtLeast(head, 16, throwOnEndOfStream: false);
        if (n < 16 || !head.SequenceEqual(SqliteMagic))
            throw new InputError(path, "offset 0", "not an SQLite database (expected the header 'SQLite format 3'); refusing to read or overwrite it");
    }

    private void CheckSchema()
    {
        try
        {
            using (var check = Command("PRAGMA quick_check"))
            {
                string result = Convert.ToString(check.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
                if (result != "ok") throw Corrupt($"integrity check failed: {result}");
            }
            long version = Scalar("PRAGMA user_version");
            if (version != SchemaVersion)
                throw new InputError(Path, "user_version", $"schema version {version}, expected {SchemaVersion} (a health database written by another version of rt, or another SQLite file)");
            foreach (string table in (string[])["meta", "sessions", "joint_health"])
            {
                using var c = Command("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $n");
                c.Parameters.AddWithValue("$n", table);
                if (Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture) != 1)
                    throw new InputError(Path, $"table {table}", "missing; expected the health schema (meta, sessions, joint_health)");
            }
        }
        catch (SqliteException e)
        {
            Dispose();
            throw Corrupt(e.Message);
        }
        catch (InputError)
        {
            Dispose();
            throw;
        }
    }

    private InputError Corrupt(string why) => new(Path, "", $"corrupt health database ({why}); refusing to read or overwrite it");

    private void CreateSchema()
    {
        try
        {
            CreateTables();
        }
        catch (SqliteException e)
        {
            Dispose();
            throw CannotWrite(e);
        }
    }

    private void CreateTables()
    {
        using var tx = _connection.BeginTransaction();
        foreach (string sql in (string[])[
            "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            "CREATE TABLE sessions(id INTEGER PRIMARY KEY, day REAL NOT NULL, time_utc TEXT NOT NULL, source TEXT NOT NULL, robot TEXT NOT NULL, recording TEXT NOT NULL, ticks INTEGER NOT NULL, tripped INTEGER)",
            "CREATE TABLE joint_health(session_id INTEGER NOT NULL REFERENCES sessions(id), joint TEXT NOT NULL, " +
            "coulomb_friction_nm REAL, viscous_friction_nms_per_rad REAL, motor_constant_scale REAL, load_rms_nm REAL, innovation_variance REAL, temperature_c REAL, fit_r2 REAL, " +
            "limit_coulomb_friction_nm REAL, limit_viscous_friction_nms_per_rad REAL, limit_motor_constant_scale_min REAL, limit_innovation_variance REAL, " +
            "PRIMARY KEY(session_id, joint))",
            $"INSERT INTO meta(key, value) VALUES ('schema_version', '{SchemaVersion}'), ('writer', 'rt')",
            $"PRAGMA user_version = {SchemaVersion}",
        ])
        {
            using var c = Command(sql);
            c.Transaction = tx;
            c.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>Appends one session and its joints in one transaction; returns the session's id.</summary>
    public long Append(HealthSession session, IReadOnlyList<JointHealth> joints)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(joints);
        try
        {
            return Insert(session, joints);
        }
        catch (SqliteException e)
        {
            throw CannotWrite(e); // read-only, locked past the busy timeout, disk full: the file, not a bug
        }
    }

    private long Insert(HealthSession session, IReadOnlyList<JointHealth> joints)
    {
        using var tx = _connection.BeginTransaction();
        long id;
        using (var c = Command("INSERT INTO sessions(day, time_utc, source, robot, recording, ticks, tripped) VALUES ($d, $t, $s, $r, $rec, $n, $trip) RETURNING id"))
        {
            c.Transaction = tx;
            c.Parameters.AddWithValue("$d", session.Day);
            c.Parameters.AddWithValue("$t", session.TimeUtc.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            c.Parameters.AddWithValue("$s", session.Source);
            c.Parameters.AddWithValue("$r", session.Robot);
            c.Parameters.AddWithValue("$rec", session.Recording);
            c.Parameters.AddWithValue("$n", session.Ticks);
            c.Parameters.AddWithValue("$trip", session.Tripped is { } b ? (object)(b ? 1 : 0) : DBNull.Value);
            id = Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        foreach (var j in joints)
        {
            using var c = Command("INSERT INTO joint_health VALUES ($id, $j, $fc, $fv, $kt, $load, $var, $temp, $r2, $lfc, $lfv, $lkt, $lvar)");
            c.Transaction = tx;
            c.Parameters.AddWithValue("$id", id);
            c.Parameters.AddWithValue("$j", j.Joint);
            Real(c, "$fc", j.CoulombFrictionNm);
            Real(c, "$fv", j.ViscousFrictionNmsPerRad);
            Real(c, "$kt", j.MotorConstantScale);
            Real(c, "$load", j.LoadRmsNm);
            Real(c, "$var", j.InnovationVariance);
            Real(c, "$temp", j.TemperatureC ?? double.NaN);
            Real(c, "$r2", j.FitR2);
            Real(c, "$lfc", j.Limits.CoulombFrictionNm);
            Real(c, "$lfv", j.Limits.ViscousFrictionNmsPerRad);
            Real(c, "$lkt", j.Limits.MotorConstantScaleMin);
            Real(c, "$lvar", j.Limits.InnovationVariance);
            c.ExecuteNonQuery();
        }
        tx.Commit();
        return id;
    }

    /// <summary>Every entry, oldest first (by day, then id).</summary>
    public IReadOnlyList<HealthEntry> ReadAll()
    {
        var sessions = new List<(long Id, HealthSession S)>();
        var joints = new Dictionary<long, List<JointHealth>>();
        try
        {
            using (var c = Command("SELECT id, day, time_utc, source, robot, recording, ticks, tripped FROM sessions ORDER BY day, id"))
            using (var r = c.ExecuteReader())
            {
                while (r.Read())
                {
                    var time = DateTimeOffset.TryParse(r.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.UnixEpoch;
                    bool? tripped = r.IsDBNull(7) ? null : r.GetInt64(7) != 0;
                    sessions.Add((r.GetInt64(0), new HealthSession(r.GetDouble(1), time, r.GetString(3), r.GetString(4), r.GetString(5), r.GetInt64(6), tripped)));
                }
            }
            using (var c = Command("SELECT * FROM joint_health ORDER BY session_id, rowid"))
            using (var r = c.ExecuteReader())
            {
                while (r.Read())
                {
                    double? temp = r.IsDBNull(7) ? null : r.GetDouble(7);
                    var jh = new JointHealth(r.GetString(1), Get(r, 2), Get(r, 3), Get(r, 4), Get(r, 5), Get(r, 6), temp, Get(r, 8),
                        new JointHealthLimits(Get(r, 9), Get(r, 10), Get(r, 11), Get(r, 12)));
                    long id = r.GetInt64(0);
                    if (!joints.TryGetValue(id, out var list)) joints[id] = list = [];
                    list.Add(jh);
                }
            }
        }
        catch (SqliteException e)
        {
            throw Corrupt(e.Message);
        }
        catch (InvalidCastException e)
        {
            throw new InputError(Path, "joint_health", $"a value of the wrong type ({e.Message}); expected the health schema's numbers and text");
        }
        return sessions.Select(s => new HealthEntry(s.Id, s.S, joints.TryGetValue(s.Id, out var l) ? l : [])).ToList();
    }

    private static double Get(SqliteDataReader r, int i) => r.IsDBNull(i) ? double.NaN : r.GetDouble(i);

    // SQLite has no NaN (it stores NULL for it anyway): say so explicitly.
    private static void Real(SqliteCommand c, string name, double v) => c.Parameters.AddWithValue(name, double.IsFinite(v) ? (object)v : DBNull.Value);

    private long Scalar(string sql)
    {
        using var c = Command(sql);
        return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private SqliteCommand Command(string sql)
    {
        var c = _connection.CreateCommand();
        c.CommandText = sql;
        return c;
    }

    public void Dispose() => _connection.Dispose();
}
