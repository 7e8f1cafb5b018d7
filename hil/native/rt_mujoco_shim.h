/*
 * rt_mujoco_shim: a small flat C API over MuJoCo 2.2.2 for the Rt HIL bench (P/Invoke from hil/Rt.Hil).
 *
 * Why a shim: mjModel/mjData are large structs whose layout changes between MuJoCo releases; binding them from
 * C# would tie the managed code to one layout. The shim exposes handles, counts, ids and stable pointers to the
 * few mjData arrays the bench touches every substep (qpos, qvel, qfrc_applied, xfrc_applied, sensordata, mocap_pos).
 *
 * Errors: every function that can fail returns an int status (RTMJ_OK = 0, negative on error) and records a
 * message readable with rtmj_last_error(). MuJoCo's default error handler calls exit(); the shim installs
 * mju_user_error / mju_user_warning handlers that longjmp back into the failing shim call, so a MuJoCo error
 * never terminates the host process. After an error inside a step the handle is marked broken and refuses work.
 */
#ifndef RT_MUJOCO_SHIM_H
#define RT_MUJOCO_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

#define RTMJ_OK 0
#define RTMJ_ERR_ARG -1      /* bad argument (null handle, id out of range) */
#define RTMJ_ERR_MUJOCO -2   /* MuJoCo raised mju_error; see rtmj_last_error */
#define RTMJ_ERR_BROKEN -3   /* an earlier MuJoCo error left the data inconsistent */

/* Object kinds for rtmj_name2id (a subset of mjtObj, kept stable here). */
#define RTMJ_OBJ_BODY 1
#define RTMJ_OBJ_JOINT 2
#define RTMJ_OBJ_GEOM 3
#define RTMJ_OBJ_SITE 4
#define RTMJ_OBJ_SENSOR 5

/* Fields for rtmj_data_ptr: stable pointers into mjData, valid until rtmj_free. */
#define RTMJ_QPOS 0
#define RTMJ_QVEL 1
#define RTMJ_QFRC_APPLIED 2
#define RTMJ_XFRC_APPLIED 3
#define RTMJ_SENSORDATA 4
#define RTMJ_MOCAP_POS 5
#define RTMJ_MOCAP_QUAT 6
#define RTMJ_QACC 7
#define RTMJ_XPOS 8           /* body frame origins, world (nbody x 3), as of the last forward pass */
#define RTMJ_GEOM_XPOS 9      /* geom centres, world (ngeom x 3), as of the last forward pass */
#define RTMJ_GEOM_XMAT 10     /* geom frames, world, row-major (ngeom x 9): column k is the geom's k-th axis */

typedef struct rtmj rtmj;

int rtmj_version(void);                                 /* mj_version(): 222 for 2.2.2 */
rtmj* rtmj_load(const char* xml_path, char* err, int err_len);
void rtmj_free(rtmj* h);
const char* rtmj_last_error(const rtmj* h);

int rtmj_nq(const rtmj* h);
int rtmj_nv(const rtmj* h);
int rtmj_nu(const rtmj* h);
int rtmj_nbody(const rtmj* h);
int rtmj_njnt(const rtmj* h);
int rtmj_ngeom(const rtmj* h);
int rtmj_nsensor(const rtmj* h);
int rtmj_nsensordata(const rtmj* h);
int rtmj_nmocap(const rtmj* h);

int rtmj_name2id(const rtmj* h, int obj, const char* name);  /* -1 if not found */
int rtmj_joint_qposadr(const rtmj* h, int joint);
int rtmj_joint_dofadr(const rtmj* h, int joint);
int rtmj_sensor_adr(const rtmj* h, int sensor);
int rtmj_sensor_dim(const rtmj* h, int sensor);
int rtmj_body_mocapid(const rtmj* h, int body);
int rtmj_body_geomadr(const rtmj* h, int body);
int rtmj_body_geomnum(const rtmj* h, int body);
int rtmj_geom_type(const rtmj* h, int geom);                  /* mjtGeom: 2 sphere, 3 capsule, 5 cylinder, 6 box, ... */
int rtmj_geom_size(const rtmj* h, int geom, double* size3);   /* MuJoCo's size (half sizes; r, half-length; r) */

double* rtmj_data_ptr(rtmj* h, int field);

double rtmj_timestep(const rtmj* h);
int rtmj_set_timestep(rtmj* h, double dt);
double rtmj_time(const rtmj* h);
long long rtmj_warning_count(const rtmj* h);             /* sum of all MuJoCo warning counters (bad qacc etc.) */

int rtmj_reset(rtmj* h);                                  /* mj_resetData + mj_forward */
int rtmj_set_state(rtmj* h, const double* qpos, const double* qvel); /* copies nq/nv values, then mj_forward */
int rtmj_get_state(const rtmj* h, double* qpos, double* qvel);
int rtmj_forward(rtmj* h);
int rtmj_step(rtmj* h, int n);                            /* n x mj_step (collision skipped when provably contact-free) */
long long rtmj_contact_skips(const rtmj* h);              /* steps whose collision detection the contact shortcut skipped */
int rtmj_set_contact_shortcut(rtmj* h, int enabled);       /* on by default; returns 1 if the model qualifies for it */
int rtmj_set_sensors(rtmj* h, int enabled);               /* mjDSBL_SENSOR off/on: sensors do not affect the dynamics */
/* Who touches `body` now: over the active contacts of the last step (d->contact, i < ncon) with a geom on `body`, the
 * normal force (mj_contactForce's f[0], N) summed per other body. Writes up to `max` (other body id, summed force) in
 * order of first contact and returns how many other bodies touch it, which can exceed `max` (then the rest are not
 * written: the caller sees the overflow). A step the contact shortcut ran without collision has no contact (0).
 * No allocation. */
int rtmj_body_contacts(const rtmj* h, int body, int* other_body, double* normal_n, int max);

/* The joint torques the contacts between `body` and every other body exert on those other bodies, summed into
   tau[0..nv) (generalised forces, DOF order; overwritten): per contact J_p(x)ᵀ f at its point, f its full contact
   force (normal and friction) on the other body. The physical truth of an obstacle's joint torques for the twin's
   momentum observer (issue 13). Returns the number of contacts counted, or an RTMJ_ERR_ code (nv above 64 included). */
int rtmj_body_contact_torque(const rtmj* h, int body, double* tau);

int rtmj_set_ctrl(rtmj* h, const double* ctrl);           /* nu values */
int rtmj_apply_wrench(rtmj* h, int body, const double* force3, const double* torque3); /* world frame, at body CoM */
int rtmj_clear_wrenches(rtmj* h);
int rtmj_sensor_read(const rtmj* h, int sensor, double* out, int out_len); /* returns dim or error */

/* Rigid-body dynamics at an arbitrary state, evaluated on a scratch mjData (the simulation state is untouched).
 * rne: tau = M(q) qacc + c(q, qvel) when flg_acc = 1 (M includes armature), c(q, qvel) when 0.
 * Passive forces (damping, friction loss) and constraint forces are NOT included. */
int rtmj_rne(rtmj* h, const double* qpos, const double* qvel, const double* qacc, int flg_acc, double* out);
int rtmj_mass_matrix(rtmj* h, const double* qpos, double* dense_nv_by_nv);
int rtmj_bias(rtmj* h, const double* qpos, const double* qvel, double* out);

/* Parameters (for domain randomisation / fault injection). Call rtmj_set_const after changing mass/inertia. */
int rtmj_get_body_mass(const rtmj* h, int body, double* mass);
int rtmj_set_body_mass(rtmj* h, int body, double mass);
int rtmj_get_body_inertia(const rtmj* h, int body, double* diag3);   /* principal, in body_iquat frame */
int rtmj_set_body_inertia(rtmj* h, int body, const double* diag3);
int rtmj_get_dof_damping(const rtmj* h, int dof, double* v);
int rtmj_set_dof_damping(rtmj* h, int dof, double v);
int rtmj_get_dof_frictionloss(const rtmj* h, int dof, double* v);
int rtmj_set_dof_frictionloss(rtmj* h, int dof, double v);
int rtmj_get_dof_armature(const rtmj* h, int dof, double* v);
int rtmj_set_dof_armature(rtmj* h, int dof, double v);
int rtmj_get_geom_friction(const rtmj* h, int geom, double* slide_spin_roll3);
int rtmj_set_geom_friction(rtmj* h, int geom, const double* slide_spin_roll3);
int rtmj_set_const(rtmj* h);                                          /* mj_setConst: recompute derived constants */

#ifdef __cplusplus
}
#endif
#endif
