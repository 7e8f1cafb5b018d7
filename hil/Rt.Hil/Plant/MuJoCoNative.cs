using System.Reflection;
using System.Runtime.InteropServices;

namespace Rt.Hil.Plant;

/// <summary>
/// P/Invoke surface of hil/native/rt_mujoco_shim.c (source-generated, blittable: handles are nint, arrays are pointers).
/// <see cref="EnsureLoaded"/> must succeed before any other call: it finds librtmujoco.so (next to the assembly,
/// or at <c>RT_MUJOCO_SHIM</c>, or at an explicit path), checks that MuJoCo 2.2.2 is behind it, and turns every
/// loader failure into one <see cref="BenchUnavailableException"/> line.
/// </summary>
internal static unsafe partial class MuJoCoNative
{
    private const string Lib = "rtmujoco";
    public const string NotFoundMessage = "MuJoCo 2.2.2 not found: install Debian libmujoco-dev";
    public const string ShimEnvironmentVariable = "RT_MUJOCO_SHIM";
    public const int ExpectedVersion = 222;

    /// <summary>The shim's most recently added function; its absence marks a stale librtmujoco.so.</summary>
    private const string NewestExport = "rtmj_body_contact_torque";

    public const int ObjBody = 1, ObjJoint = 2, ObjGeom = 3, ObjSite = 4, ObjSensor = 5;
    public const int FieldQpos = 0, FieldQvel = 1, FieldQfrcApplied = 2, FieldXfrcApplied = 3,
        FieldSensordata = 4, FieldMocapPos = 5, FieldMocapQuat = 6, FieldQacc = 7, FieldXpos = 8,
        FieldGeomXpos = 9, FieldGeomXmat = 10;

    private static readonly Lock Gate = new();
    private static nint s_library;

    static MuJoCoNative()
    {
        NativeLibrary.SetDllImportResolver(typeof(MuJoCoNative).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == Lib ? s_library : 0;

    /// <summary>The default shim path: <c>RT_MUJOCO_SHIM</c> if set, else librtmujoco.so next to this assembly.</summary>
    public static string DefaultShimPath()
    {
        string? env = Environment.GetEnvironmentVariable(ShimEnvironmentVariable);
        if (!string.IsNullOrEmpty(env)) return env;
        return Path.Combine(AppContext.BaseDirectory, "librtmujoco.so");
    }

    /// <summary>
    /// Not real-time safe. Loads the shim (once per process) and checks the MuJoCo version. An explicit
    /// <paramref name="shimPath"/> is always checked, even when a shim is already loaded, so a wrong path is reported.
    /// </summary>
    public static void EnsureLoaded(string? shimPath)
    {
        string path = string.IsNullOrEmpty(shimPath) ? DefaultShimPath() : shimPath;
        lock (Gate)
        {
            if (s_library != 0 && string.IsNullOrEmpty(shimPath)) return;
            if (!File.Exists(path))
                throw new BenchUnavailableException(
                    $"{NotFoundMessage} (the bench's MuJoCo shim '{path}' does not exist; `dotnet build hil/Rt.Hil` or tools/build-native.sh builds it)");
            nint handle;
            try
            {
                handle = NativeLibrary.Load(path);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                throw new BenchUnavailableException($"{NotFoundMessage} (loading '{path}' failed: {e.Message})", e);
            }
            if (s_library == 0) s_library = handle;
            int version = ((delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "rtmj_version"))();
            if (version != ExpectedVersion)
                throw new BenchUnavailableException(
                    $"MuJoCo {version / 100}.{version / 10 % 10}.{version % 10} found, the bench needs 2.2.2: install Debian libmujoco-dev 2.2.2");
            // A shim built from older sources lacks the newest export: say so here rather than fail mid-run.
            if (!NativeLibrary.TryGetExport(handle, NewestExport, out _))
                throw new BenchUnavailableException(
                    $"the bench's MuJoCo shim '{path}' is older than this build (it has no {NewestExport}): rebuild it with tools/build-native.sh or `dotnet build hil/Rt.Hil`");
        }
    }

    /// <summary>Message from the shim's last failure on this handle.</summary>
    public static string LastError(nint h) => Marshal.PtrToStringUTF8(rtmj_last_error(h)) ?? "";

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint rtmj_load(string xmlPath, byte* err, int errLen);

    [LibraryImport(Lib)] internal static partial void rtmj_free(nint h);
    [LibraryImport(Lib)] internal static partial nint rtmj_last_error(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_version();
    [LibraryImport(Lib)] internal static partial int rtmj_nq(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_nv(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_nu(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_nbody(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_njnt(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_ngeom(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_nsensor(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_nsensordata(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_nmocap(nint h);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rtmj_name2id(nint h, int obj, string name);

    [LibraryImport(Lib)] internal static partial int rtmj_joint_qposadr(nint h, int joint);
    [LibraryImport(Lib)] internal static partial int rtmj_joint_dofadr(nint h, int joint);
    [LibraryImport(Lib)] internal static partial int rtmj_sensor_adr(nint h, int sensor);
    [LibraryImport(Lib)] internal static partial int rtmj_sensor_dim(nint h, int sensor);
    [LibraryImport(Lib)] internal static partial int rtmj_body_mocapid(nint h, int body);
    [LibraryImport(Lib)] internal static partial int rtmj_body_geomadr(nint h, int body);
    [LibraryImport(Lib)] internal static partial int rtmj_body_geomnum(nint h, int body);
    [LibraryImport(Lib)] internal static partial int rtmj_geom_type(nint h, int geom);
    [LibraryImport(Lib)] internal static partial int rtmj_geom_size(nint h, int geom, double* size3);
    [LibraryImport(Lib)] internal static partial double* rtmj_data_ptr(nint h, int field);
    [LibraryImport(Lib)] internal static partial double rtmj_timestep(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_set_timestep(nint h, double dt);
    [LibraryImport(Lib)] internal static partial double rtmj_time(nint h);
    [LibraryImport(Lib)] internal static partial long rtmj_warning_count(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_reset(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_set_state(nint h, double* qpos, double* qvel);
    [LibraryImport(Lib)] internal static partial int rtmj_get_state(nint h, double* qpos, double* qvel);
    [LibraryImport(Lib)] internal static partial int rtmj_forward(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_step(nint h, int n);
    [LibraryImport(Lib)] internal static partial long rtmj_contact_skips(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_set_contact_shortcut(nint h, int enabled);
    [LibraryImport(Lib)] internal static partial int rtmj_set_sensors(nint h, int enabled);
    [LibraryImport(Lib)] internal static partial int rtmj_body_contacts(nint h, int body, int* otherBody, double* normalN, int max);
    [LibraryImport(Lib)] internal static partial int rtmj_body_contact_torque(nint h, int body, double* tau);
    [LibraryImport(Lib)] internal static partial int rtmj_apply_wrench(nint h, int body, double* force3, double* torque3);
    [LibraryImport(Lib)] internal static partial int rtmj_clear_wrenches(nint h);
    [LibraryImport(Lib)] internal static partial int rtmj_rne(nint h, double* qpos, double* qvel, double* qacc, int flgAcc, double* result);
    [LibraryImport(Lib)] internal static partial int rtmj_mass_matrix(nint h, double* qpos, double* dense);
    [LibraryImport(Lib)] internal static partial int rtmj_bias(nint h, double* qpos, double* qvel, double* result);
    [LibraryImport(Lib)] internal static partial int rtmj_get_body_mass(nint h, int body, double* mass);
    [LibraryImport(Lib)] internal static partial int rtmj_set_body_mass(nint h, int body, double mass);
    [LibraryImport(Lib)] internal static partial int rtmj_get_body_inertia(nint h, int body, double* diag3);
    [LibraryImport(Lib)] internal static partial int rtmj_set_body_inertia(nint h, int body, double* diag3);
    [LibraryImport(Lib)] internal static partial int rtmj_get_dof_damping(nint h, int dof, double* v);
    [LibraryImport(Lib)] internal static partial int rtmj_set_dof_damping(nint h, int dof, double v);
    [LibraryImport(Lib)] internal static partial int rtmj_get_dof_frictionloss(nint h, int dof, double* v);
    [LibraryImport(Lib)] internal static partial int rtmj_set_dof_frictionloss(nint h, int dof, double v);
    [LibraryImport(Lib)] internal static partial int rtmj_get_dof_armature(nint h, int dof, double* v);
    [LibraryImport(Lib)] internal static partial int rtmj_set_dof_armature(nint h, int dof, double v);
    [LibraryImport(Lib)] internal static partial int rtmj_get_geom_friction(nint h, int geom, double* f3);
    [LibraryImport(Lib)] internal static partial int rtmj_set_geom_friction(nint h, int geom, double* f3);
    [LibraryImport(Lib)] internal static partial int rtmj_set_const(nint h);
}
