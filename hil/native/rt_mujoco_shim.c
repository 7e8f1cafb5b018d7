/* rt_mujoco_shim: flat C API over MuJoCo 2.2.2 for the Rt HIL bench. See rt_mujoco_shim.h. */
#include "rt_mujoco_shim.h"

#include <mujoco/mujoco.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

struct rtmj {
  mjModel* m;
  mjData* d;
  mjData* scratch; /* dynamics queries at arbitrary states, so the simulation state is never disturbed */
  int broken;
  char err[600];
};

/* MuJoCo's error hook is process-global; the jump target and message are per thread so two plants on two
 * threads do not trample each other. */
static __thread jmp_buf* t_jump;
static __thread char t_msg[512];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void on_mj_error(const char* msg) {
  snprintf(t_msg, sizeof t_msg, "%s", msg ? msg : "unknown MuJoCo error");
  if (t_jump) longjmp(*t_jump, 1);
  /* No guard active: cannot happen (every MuJoCo call below is guarded); abort loudly rather than continue. */
  fprintf(stderr, "rt_mujoco_shim: unguarded MuJoCo error: %s\n", t_msg);
  abort();
}

static void on_mj_warning(const char* msg) {
  /* Warnings are counted by MuJoCo in d->warning[]; keep the text for diagnostics, do not print. */
  snprintf(t_msg, sizeof t_msg, "warning: %s", msg ? msg : "");
}

static void install_handlers(void) {
  mju_user_error = on_mj_error;
  mju_user_warning = on_mj_warning;
}

#define GUARD(h)                                                        \
  jmp_buf guard_jb;                                                     \
  jmp_buf* guard_prev = t_jump;                                         \
  if (setjmp(guard_jb)) {                                               \
    t_jump = guard_prev;                                                \
    if (h) {                                                            \
      (h)->broken = 1;                                                  \
      snprintf((h)->err, sizeof (h)->err, "MuJoCo error: %.500s", t_msg);   \
    }                                                                   \
    return RTMJ_ERR_MUJOCO;                                             \
  }                                                                     \
  t_jump = &guard_jb
#define UNGUARD() t_jump = guard_prev

#define CHECK_H(h) do { if (!(h)) return RTMJ_ERR_ARG; if ((h)->broken) return RTMJ_ERR_BROKEN; } while (0)
#define CHECK_ID(id, n) do { if ((id) < 0 || (id) >= (n)) { return RTMJ_ERR_ARG; } } while (0)

int rtmj_version(void) { return mj_version(); }

rtmj* rtmj_load(const char* xml_path, char* err, int err_len) {
  pthread_once(&g_once, install_handlers);
  char local[512] = {0};
  if (!xml_path) {
    if (err && err_len > 0) snprintf(err, (size_t)err_len, "xml path is null");
    return NULL;
  }
  rtmj* h = (rtmj*)calloc(1, sizeof(rtmj));
  if (!h) {
    if (err && err_len > 0) snprintf(err, (size_t)err_len, "out of memory");
    return NULL;
  }
  jmp_buf jb;
  jmp_buf* prev = t_jump;
  if (setjmp(jb)) {
    t_jump = prev;
    if (err && err_len > 0) snprintf(err, (size_t)err_len, "MuJoCo error while loading: %.500s", t_msg);
    /* model/data may be half built; leak rather than free inconsistent MuJoCo state */
    free(h);
    return NULL;
  }
  t_jump = &jb;
  h->m = mj_loadXML(xml_path, NULL, local, (int)sizeof local);
  if (!h->m) {
    t_jump = prev;
    if (err && err_len > 0) snprintf(err, (size_t)err_len, "%s", local[0] ? local : "mj_loadXML failed");
    free(h);
    return NULL;
  }
  h->d = mj_makeData(h->m);
  h->scratch = mj_makeData(h->m);
  if (!h->d || !h->scratch) {
    t_jump = prev;
    if (err && err_len > 0) snprintf(err, (size_t)err_len, "mj_makeData failed");
    if (h->d) mj_deleteData(h->d);
    if (h->scratch) mj_deleteData(h->scratch);
    mj_deleteModel(h->m);
    free(h);
    return NULL;
  }
  mj_forward(h->m, h->d);
  t_jump = prev;
  if (err && err_len > 0) err[0] = 0;
  return h;
}

void rtmj_free(rtmj* h) {
  if (!h) return;
  if (h->scratch) mj_deleteData(h->scratch);
  if (h->d) mj_deleteData(h->d);
  if (h->m) mj_deleteModel(h->m);
  free(h);
}

const char* rtmj_last_error(const rtmj* h) { return h ? h->err : "null handle"; }

int rtmj_nq(const rtmj* h) { return h ? h->m->nq : RTMJ_ERR_ARG; }
int rtmj_nv(const rtmj* h) { return h ? h->m->nv : RTMJ_ERR_ARG; }
int rtmj_nu(const rtmj* h) { return h ? h->m->nu : RTMJ_ERR_ARG; }
int rtmj_nbody(const rtmj* h) { return h ? h->m->nbody : RTMJ_ERR_ARG; }
int rtmj_njnt(const rtmj* h) { return h ? h->m->njnt : RTMJ_ERR_ARG; }
int rtmj_ngeom(const rtmj* h) { return h ? h->m->ngeom : RTMJ_ERR_ARG; }
int rtmj_nsensor(const rtmj* h) { return h ? h->m->nsensor : RTMJ_ERR_ARG; }
int rtmj_nsensordata(const rtmj* h) { return h ? h->m->nsensordata : RTMJ_ERR_ARG; }
int rtmj_nmocap(const rtmj* h) { return h ? h->m->nmocap : RTMJ_ERR_ARG; }

int rtmj_name2id(const rtmj* h, int obj, const char* name) {
  if (!h || !name) return -1;
  int type;
  switch (obj) {
    case RTMJ_OBJ_BODY: type = mjOBJ_BODY; break;
    case RTMJ_OBJ_JOINT: type = mjOBJ_JOINT; break;
    case RTMJ_OBJ_GEOM: type = mjOBJ_GEOM; break;
    case RTMJ_OBJ_SITE: type = mjOBJ_SITE; break;
    case RTMJ_OBJ_SENSOR: type = mjOBJ_SENSOR; break;
    default: return -1;
  }
  return mj_name2id(h->m, type, name);
}

int rtmj_joint_qposadr(const rtmj* h, int j) { if (!h) return RTMJ_ERR_ARG; CHECK_ID(j, h->m->njnt); return h->m->jnt_qposadr[j]; }
int rtmj_joint_dofadr(const rtmj* h, int j) { if (!h) return RTMJ_ERR_ARG; CHECK_ID(j, h->m->njnt); return h->m->jnt_dofadr[j]; }
int rtmj_sensor_adr(const rtmj* h, int s) { if (!h) return RTMJ_ERR_ARG; CHECK_ID(s, h->m->nsensor); return h->m->sensor_adr[s]; }
int rtmj_sensor_dim(const rtmj* h, int s) { if (!h) return RTMJ_ERR_ARG; CHECK_ID(s, h->m->nsensor); return h->m->sensor_dim[s]; }
int rtmj_body_mocapid(const rtmj* h, int b) { if (!h) return RTMJ_ERR_ARG; CHECK_ID(b, h->m->nbody); return h->m->body_mocapid[b]; }
int rtmj_body_geomadr(const rtmj* h, int b) { if (!h) return RTMJ_ERR_ARG; CHECK_ID(b, h->m->nbody); return h->m->body_geomadr[b]; }
int rtmj_body_geomnum(const rtmj* h, int b) { if (!h) return RTMJ_ERR_ARG; CHECK_ID(b, h->m->nbody); return h->m->body_geomnum[b]; }

double* rtmj_data_ptr(rtmj* h, int field) {
  if (!h) return NULL;
  switch (field) {
    case RTMJ_QPOS: return h->d->qpos;
    case RTMJ_QVEL: return h->d->qvel;
    case RTMJ_QFRC_APPLIED: return h->d->qfrc_applied;
    case RTMJ_XFRC_APPLIED: return h->d->xfrc_applied;
    case RTMJ_SENSORDATA: return h->d->sensordata;
    case RTMJ_MOCAP_POS: return h->d->mocap_pos;
    case RTMJ_MOCAP_QUAT: return h->d->mocap_quat;
    case RTMJ_QACC: return h->d->qacc;
    case RTMJ_XPOS: return h->d->xpos;
    default: return NULL;
  }
}

double rtmj_timestep(const rtmj* h) { return h ? h->m->opt.timestep : 0.0; }

int rtmj_set_timestep(rtmj* h, double dt) {
  CHECK_H(h);
  if (!(dt > 0)) return RTMJ_ERR_ARG;
  h->m->opt.timestep = dt;
  return RTMJ_OK;
}

double rtmj_time(const rtmj* h) { return h ? h->d->time : 0.0; }

long long rtmj_warning_count(const rtmj* h) {
  if (!h) return RTMJ_ERR_ARG;
  long long n = 0;
  for (int i = 0; i < mjNWARNING; i++) n += h->d->warning[i].number;
  return n;
}

int rtmj_reset(rtmj* h) {
  if (!h) return RTMJ_ERR_ARG;
  GUARD(h);
  mj_resetData(h->m, h->d);
  mj_forward(h->m, h->d);
  UNGUARD();
  h->broken = 0;
  return RTMJ_OK;
}

int rtmj_set_state(rtmj* h, const double* qpos, const double* qvel) {
  CHECK_H(h);
  if (qpos) memcpy(h->d->qpos, qpos, sizeof(mjtNum) * (size_t)h->m->nq);
  if (qvel) memcpy(h->d->qvel, qvel, sizeof(mjtNum) * (size_t)h->m->nv);
  GUARD(h);
  mj_forward(h->m, h->d);
  UNGUARD();
  return RTMJ_OK;
}

int rtmj_get_state(const rtmj* h, double* qpos, double* qvel) {
  if (!h) return RTMJ_ERR_ARG;
  if (qpos) memcpy(qpos, h->d->qpos, sizeof(mjtNum) * (size_t)h->m->nq);
  if (qvel) memcpy(qvel, h->d->qvel, sizeof(mjtNum) * (size_t)h->m->nv);
  return RTMJ_OK;
}

int rtmj_forward(rtmj* h) {
  CHECK_H(h);
  GUARD(h);
  mj_forward(h->m, h->d);
  UNGUARD();
  return RTMJ_OK;
}

int rtmj_step(rtmj* h, int n) {
  CHECK_H(h);
  if (n < 0) return RTMJ_ERR_ARG;
  GUARD(h);
  for (int i = 0; i < n; i++) mj_step(h->m, h->d);
  UNGUARD();
  return RTMJ_OK;
}

int rtmj_set_sensors(rtmj* h, int enabled) {
  CHECK_H(h);
  /* Sensors (the accelerometers need mj_rnePostConstraint) do not affect the dynamics: the bench switches them off
     for every substep but the last of a tick, whose values are the ones the IMUs sample. */
  if (enabled) h->m->opt.disableflags &= ~mjDSBL_SENSOR;
  else h->m->opt.disableflags |= mjDSBL_SENSOR;
  return RTMJ_OK;
}

int rtmj_set_ctrl(rtmj* h, const double* ctrl) {
  CHECK_H(h);
  if (!ctrl) return RTMJ_ERR_ARG;
  memcpy(h->d->ctrl, ctrl, sizeof(mjtNum) * (size_t)h->m->nu);
  return RTMJ_OK;
}

int rtmj_apply_wrench(rtmj* h, int body, const double* f, const double* t) {
  CHECK_H(h);
  CHECK_ID(body, h->m->nbody);
  mjtNum* x = h->d->xfrc_applied + 6 * body;
  for (int i = 0; i < 3; i++) {
    x[i] = f ? f[i] : 0.0;
    x[3 + i] = t ? t[i] : 0.0;
  }
  return RTMJ_OK;
}

int rtmj_clear_wrenches(rtmj* h) {
  if (!h) return RTMJ_ERR_ARG;
  memset(h->d->xfrc_applied, 0, sizeof(mjtNum) * 6 * (size_t)h->m->nbody);
  return RTMJ_OK;
}

int rtmj_sensor_read(const rtmj* h, int sensor, double* out, int out_len) {
  if (!h || !out) return RTMJ_ERR_ARG;
  CHECK_ID(sensor, h->m->nsensor);
  int dim = h->m->sensor_dim[sensor];
  if (out_len < dim) return RTMJ_ERR_ARG;
  memcpy(out, h->d->sensordata + h->m->sensor_adr[sensor], sizeof(mjtNum) * (size_t)dim);
  return dim;
}

/* Kinematics and composite inertia at (qpos, qvel) on the scratch data. */
static void scratch_at(rtmj* h, const double* qpos, const double* qvel) {
  mjData* s = h->scratch;
  memcpy(s->qpos, qpos, sizeof(mjtNum) * (size_t)h->m->nq);
  if (qvel) memcpy(s->qvel, qvel, sizeof(mjtNum) * (size_t)h->m->nv);
  else memset(s->qvel, 0, sizeof(mjtNum) * (size_t)h->m->nv);
  mj_kinematics(h->m, s);
  mj_comPos(h->m, s);
  mj_comVel(h->m, s);
}

int rtmj_rne(rtmj* h, const double* qpos, const double* qvel, const double* qacc, int flg_acc, double* out) {
  CHECK_H(h);
  if (!qpos || !out || (flg_acc && !qacc)) return RTMJ_ERR_ARG;
  GUARD(h);
  scratch_at(h, qpos, qvel);
  mjData* s = h->scratch;
  int nv = h->m->nv;
  if (flg_acc) memcpy(s->qacc, qacc, sizeof(mjtNum) * (size_t)nv);
  mj_rne(h->m, s, flg_acc ? 1 : 0, out);
  /* mj_rne does not see armature (mj_crb adds it to qM); add it so rne == M(q) qacc + c exactly. */
  if (flg_acc)
    for (int i = 0; i < nv; i++) out[i] += h->m->dof_armature[i] * qacc[i];
  UNGUARD();
  return RTMJ_OK;
}

int rtmj_mass_matrix(rtmj* h, const double* qpos, double* dense) {
  CHECK_H(h);
  if (!qpos || !dense) return RTMJ_ERR_ARG;
  GUARD(h);
  scratch_at(h, qpos, NULL);
  mj_crb(h->m, h->scratch);
  mj_fullM(h->m, dense, h->scratch->qM);
  UNGUARD();
  return RTMJ_OK;
}

int rtmj_bias(rtmj* h, const double* qpos, const double* qvel, double* out) {
  return rtmj_rne(h, qpos, qvel, NULL, 0, out);
}

int rtmj_get_body_mass(const rtmj* h, int b, double* v) {
  if (!h || !v) return RTMJ_ERR_ARG;
  CHECK_ID(b, h->m->nbody);
  *v = h->m->body_mass[b];
  return RTMJ_OK;
}
int rtmj_set_body_mass(rtmj* h, int b, double v) {
  CHECK_H(h);
  CHECK_ID(b, h->m->nbody);
  if (!(v >= 0)) return RTMJ_ERR_ARG;
  h->m->body_mass[b] = v;
  return RTMJ_OK;
}
int rtmj_get_body_inertia(const rtmj* h, int b, double* d3) {
  if (!h || !d3) return RTMJ_ERR_ARG;
  CHECK_ID(b, h->m->nbody);
  memcpy(d3, h->m->body_inertia + 3 * b, sizeof(mjtNum) * 3);
  return RTMJ_OK;
}
int rtmj_set_body_inertia(rtmj* h, int b, const double* d3) {
  CHECK_H(h);
  CHECK_ID(b, h->m->nbody);
  if (!d3 || !(d3[0] >= 0) || !(d3[1] >= 0) || !(d3[2] >= 0)) return RTMJ_ERR_ARG;
  memcpy(h->m->body_inertia + 3 * b, d3, sizeof(mjtNum) * 3);
  return RTMJ_OK;
}
int rtmj_get_dof_damping(const rtmj* h, int i, double* v) { if (!h || !v) return RTMJ_ERR_ARG; CHECK_ID(i, h->m->nv); *v = h->m->dof_damping[i]; return RTMJ_OK; }
int rtmj_set_dof_damping(rtmj* h, int i, double v) { CHECK_H(h); CHECK_ID(i, h->m->nv); if (!(v >= 0)) return RTMJ_ERR_ARG; h->m->dof_damping[i] = v; return RTMJ_OK; }
int rtmj_get_dof_frictionloss(const rtmj* h, int i, double* v) { if (!h || !v) return RTMJ_ERR_ARG; CHECK_ID(i, h->m->nv); *v = h->m->dof_frictionloss[i]; return RTMJ_OK; }
int rtmj_set_dof_frictionloss(rtmj* h, int i, double v) { CHECK_H(h); CHECK_ID(i, h->m->nv); if (!(v >= 0)) return RTMJ_ERR_ARG; h->m->dof_frictionloss[i] = v; return RTMJ_OK; }
int rtmj_get_dof_armature(const rtmj* h, int i, double* v) { if (!h || !v) return RTMJ_ERR_ARG; CHECK_ID(i, h->m->nv); *v = h->m->dof_armature[i]; return RTMJ_OK; }
int rtmj_set_dof_armature(rtmj* h, int i, double v) { CHECK_H(h); CHECK_ID(i, h->m->nv); if (!(v >= 0)) return RTMJ_ERR_ARG; h->m->dof_armature[i] = v; return RTMJ_OK; }

int rtmj_get_geom_friction(const rtmj* h, int g, double* f3) {
  if (!h || !f3) return RTMJ_ERR_ARG;
  CHECK_ID(g, h->m->ngeom);
  memcpy(f3, h->m->geom_friction + 3 * g, sizeof(mjtNum) * 3);
  return RTMJ_OK;
}
int rtmj_set_geom_friction(rtmj* h, int g, const double* f3) {
  CHECK_H(h);
  CHECK_ID(g, h->m->ngeom);
  if (!f3) return RTMJ_ERR_ARG;
  memcpy(h->m->geom_friction + 3 * g, f3, sizeof(mjtNum) * 3);
  return RTMJ_OK;
}

int rtmj_set_const(rtmj* h) {
  CHECK_H(h);
  GUARD(h);
  mj_setConst(h->m, h->d);
  mj_forward(h->m, h->d);
  UNGUARD();
  return RTMJ_OK;
}
