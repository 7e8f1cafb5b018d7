/* rt_mujoco_shim: flat C API over MuJoCo 2.2.2 for the Rt HIL bench. See rt_mujoco_shim.h. */
#include "rt_mujoco_shim.h"

#include <mujoco/mujoco.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

/* Contact shortcut: mj_collision (broad phase with its sort and eigen-decomposition, then narrow phase) is about a sixth
 * of a step for a robot on a stand that touches nothing. Before each step the shim proves from the previous kinematics
 * that no geom pair can be in contact, and then runs that step with contacts disabled: MuJoCo would have found no
 * contact either, so the result is bit for bit the same (mj_collision would only have set ncon = 0). The proof: the
 * geoms' bounding spheres (rbound) at the last kinematics, grown by how far any point can have moved since (the sum of
 * the hinge angle changes times the longest lever arm in the tree), plus both margins, are apart (a plane: the sphere
 * is above it). Mocap bodies (obstacles) moved since then, slide/ball/free joints, explicit pairs or height fields:
 * no shortcut, the full collision runs. */
typedef struct {
  int enabled;       /* the model qualifies (hinge joints only, no explicit pairs, no height fields) */
  int off;           /* switched off by the caller (tests compare with and without it) */
  int npair;         /* candidate geom pairs (contype/conaffinity compatible, different weld bodies) */
  int* pairs;        /* 2 per pair */
  unsigned char* moves; /* per geom: on a body that a joint moves */
  double reach;      /* bound on the distance from any joint anchor to any point of a geom it moves, m */
  double* qpos;      /* qpos at the last kinematics (nq) */
  double* mocap;     /* mocap_pos and mocap_quat at the last kinematics (7 per mocap body) */
  int valid;         /* the snapshot describes d's current geom_xpos */
  long long skipped; /* steps run without collision detection */
} contact_shortcut;

struct rtmj {
  mjModel* m;
  mjData* d;
  mjData* scratch; /* dynamics queries at arbitrary states, so the simulation state is never disturbed */
  int broken;
  char err[600];
  contact_shortcut cs;
};

/* Builds the candidate pairs and the lever-arm bound once per model; on any doubt the shortcut stays off. */
static void shortcut_init(rtmj* h) {
  const mjModel* m = h->m;
  contact_shortcut* cs = &h->cs;
  memset(cs, 0, sizeof *cs);
  if (m->npair > 0 || m->ngeom < 2) return;
  for (int j = 0; j < m->njnt; j++)
    if (m->jnt_type[j] != mjJNT_HINGE) return;
  for (int g = 0; g < m->ngeom; g++)
    if (m->geom_type[g] == mjGEOM_HFIELD || (m->geom_type[g] != mjGEOM_PLANE && !(m->geom_rbound[g] > 0))) return;
  /* Lever arm: from a joint's anchor down its subtree to any point of a geom there. Every body offset, twice every
   * joint offset (a hinge off the body origin swings the origin around it) and the farthest geom point bound it. */
  double chain = 0, geomFar = 0;
  for (int b = 1; b < m->nbody; b++)
    if (m->body_mocapid[b] < 0) chain += mju_norm3(m->body_pos + 3 * b);
  for (int j = 0; j < m->njnt; j++) chain += 2 * mju_norm3(m->jnt_pos + 3 * j);
  for (int g = 0; g < m->ngeom; g++) {
    double far = mju_norm3(m->geom_pos + 3 * g) + m->geom_rbound[g];
    if (far > geomFar) geomFar = far;
  }
  cs->reach = chain + geomFar;
  cs->moves = (unsigned char*)calloc((size_t)m->ngeom, 1);
  int cap = m->ngeom * (m->ngeom - 1) / 2;
  cs->pairs = (int*)malloc(sizeof(int) * 2 * (size_t)cap);
  cs->qpos = (double*)malloc(sizeof(double) * (size_t)(m->nq > 0 ? m->nq : 1));
  cs->mocap = (double*)malloc(sizeof(double) * 7 * (size_t)(m->nmocap > 0 ? m->nmocap : 1));
  if (!cs->moves || !cs->pairs || !cs->qpos || !cs->mocap) return; /* freed in rtmj_free; enabled stays 0 */
  /* A body without joints is welded to its parent; weld id 0 is the world (mocap bodies too: they are covered by the
     snapshot of their poses). */
  for (int g = 0; g < m->ngeom; g++) cs->moves[g] = m->body_weldid[m->geom_bodyid[g]] != 0;
  for (int g1 = 0; g1 < m->ngeom; g1++)
    for (int g2 = g1 + 1; g2 < m->ngeom; g2++) {
      int b1 = m->geom_bodyid[g1], b2 = m->geom_bodyid[g2];
      if (m->body_weldid[b1] == m->body_weldid[b2]) continue; /* MuJoCo never collides a weld body with itself */
      if (!((m->geom_contype[g1] & m->geom_conaffinity[g2]) || (m->geom_contype[g2] & m->geom_conaffinity[g1]))) continue;
      if (m->geom_type[g1] == mjGEOM_PLANE && m->geom_type[g2] == mjGEOM_PLANE) continue;
      cs->pairs[2 * cs->npair] = g1;
      cs->pairs[2 * cs->npair + 1] = g2;
      cs->npair++;
    }
  cs->enabled = 1;
}

/* Called right after MuJoCo computed d's kinematics from its current qpos and mocap poses. */
static void shortcut_snapshot(rtmj* h) {
  contact_shortcut* cs = &h->cs;
  if (!cs->enabled) return;
  memcpy(cs->qpos, h->d->qpos, sizeof(double) * (size_t)h->m->nq);
  memcpy(cs->mocap, h->d->mocap_pos, sizeof(double) * 3 * (size_t)h->m->nmocap);
  memcpy(cs->mocap + 3 * h->m->nmocap, h->d->mocap_quat, sizeof(double) * 4 * (size_t)h->m->nmocap);
  cs->valid = 1;
}

/* Whether the coming step can be proven contact-free from the snapshot (see contact_shortcut). */
static int shortcut_no_contact(const rtmj* h) {
  const contact_shortcut* cs = &h->cs;
  const mjModel* m = h->m;
  const mjData* d = h->d;
  if (!cs->enabled || cs->off || !cs->valid) return 0;
  if (m->nmocap > 0
      && (memcmp(cs->mocap, d->mocap_pos, sizeof(double) * 3 * (size_t)m->nmocap) != 0
          || memcmp(cs->mocap + 3 * m->nmocap, d->mocap_quat, sizeof(double) * 4 * (size_t)m->nmocap) != 0))
    return 0;
  double turned = 0;
  for (int i = 0; i < m->nq; i++) turned += mju_abs(d->qpos[i] - cs->qpos[i]);
  if (!(turned < 1e3)) return 0; /* NaN or absurd: let MuJoCo judge */
  double moved = turned * cs->reach;
  const double slack = 1e-6;     /* m: rounding in the distances below */
  for (int k = 0; k < cs->npair; k++) {
    int g1 = cs->pairs[2 * k], g2 = cs->pairs[2 * k + 1];
    double grow = (cs->moves[g1] + cs->moves[g2]) * moved + m->geom_margin[g1] + m->geom_margin[g2] + slack;
    if (m->geom_type[g2] == mjGEOM_PLANE) { int t = g1; g1 = g2; g2 = t; }
    const double* p1 = d->geom_xpos + 3 * g1;
    const double* p2 = d->geom_xpos + 3 * g2;
    double gap;
    if (m->geom_type[g1] == mjGEOM_PLANE) {
      const double* r = d->geom_xmat + 9 * g1; /* the plane's normal is its frame's z axis (third column) */
      gap = r[2] * (p2[0] - p1[0]) + r[5] * (p2[1] - p1[1]) + r[8] * (p2[2] - p1[2]) - m->geom_rbound[g2];
    } else {
      /* centre distance > both radii + growth, compared squared (no libm in the shim) */
      double dx = p2[0] - p1[0], dy = p2[1] - p1[1], dz = p2[2] - p1[2];
      double need = m->geom_rbound[g1] + m->geom_rbound[g2] + grow;
      if (!(dx * dx + dy * dy + dz * dz > need * need)) return 0;
      continue;
    }
    if (!(gap > grow)) return 0;
  }
  return 1;
}

static void shortcut_free(rtmj* h) {
  free(h->cs.pairs);
  free(h->cs.moves);
  free(h->cs.qpos);
  free(h->cs.mocap);
  memset(&h->cs, 0, sizeof h->cs);
}

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
  shortcut_init(h);
  shortcut_snapshot(h);
  if (err && err_len > 0) err[0] = 0;
  return h;
}

void rtmj_free(rtmj* h) {
  if (!h) return;
  shortcut_free(h);
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
int rtmj_geom_type(const rtmj* h, int g) { if (!h) return RTMJ_ERR_ARG; CHECK_ID(g, h->m->ngeom); return h->m->geom_type[g]; }
int rtmj_geom_size(const rtmj* h, int g, double* size3) {
  if (!h || !size3) return RTMJ_ERR_ARG;
  CHECK_ID(g, h->m->ngeom);
  memcpy(size3, h->m->geom_size + 3 * g, 3 * sizeof(double));
  return RTMJ_OK;
}

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
    case RTMJ_GEOM_XPOS: return h->d->geom_xpos;
    case RTMJ_GEOM_XMAT: return h->d->geom_xmat;
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
  shortcut_snapshot(h);
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
  shortcut_snapshot(h);
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
  shortcut_snapshot(h);
  return RTMJ_OK;
}

int rtmj_step(rtmj* h, int n) {
  CHECK_H(h);
  if (n < 0) return RTMJ_ERR_ARG;
  GUARD(h);
  for (int i = 0; i < n; i++) {
    /* The step's kinematics use the qpos and mocap poses it starts from: snapshot those. The flags are restored
       before anything else can read them (an error longjmps out with the handle marked broken). */
    int flags = h->m->opt.disableflags;
    int skip = shortcut_no_contact(h);
    shortcut_snapshot(h);
    if (skip) {
      h->m->opt.disableflags = flags | mjDSBL_CONTACT;
      h->cs.skipped++;
    }
    mj_step(h->m, h->d);
    h->m->opt.disableflags = flags;
  }
  UNGUARD();
  return RTMJ_OK;
}

long long rtmj_contact_skips(const rtmj* h) { return h ? h->cs.skipped : RTMJ_ERR_ARG; }

int rtmj_set_contact_shortcut(rtmj* h, int enabled) {
  if (!h) return RTMJ_ERR_ARG;
  h->cs.off = !enabled;
  return h->cs.enabled ? 1 : 0;
}

int rtmj_set_sensors(rtmj* h, int enabled) {
  CHECK_H(h);
  /* Sensors (the accelerometers need mj_rnePostConstraint) do not affect the dynamics: the bench switches them off
     for every substep but the last of a tick, whose values are the ones the IMUs sample. */
  if (enabled) h->m->opt.disableflags &= ~mjDSBL_SENSOR;
  else h->m->opt.disableflags |= mjDSBL_SENSOR;
  return RTMJ_OK;
}

int rtmj_body_contacts(const rtmj* h, int body, int* other_body, double* normal_n, int max) {
  CHECK_H(h);
  CHECK_ID(body, h->m->nbody);
  if (max < 0 || (max > 0 && (!other_body || !normal_n))) return RTMJ_ERR_ARG;
  const mjModel* m = h->m;
  const mjData* d = h->d;
  int written = 0, overflow = 0;
  for (int i = 0; i < d->ncon; i++) {
    const mjContact* c = d->contact + i;
    int b1 = m->geom_bodyid[c->geom1], b2 = m->geom_bodyid[c->geom2];
    int other = b1 == body ? b2 : b2 == body ? b1 : -1;
    if (other < 0 || other == body) continue;
    /* mj_contactForce is arithmetic on efc_force (zero for a contact not in the constraints): it raises no MuJoCo error. */
    mjtNum f6[6];
    mj_contactForce(m, d, i, f6);
    int k = 0;
    while (k < written && other_body[k] != other) k++;
    if (k < written) { normal_n[k] += f6[0]; continue; }
    if (written < max) {
      other_body[written] = other;
      normal_n[written] = f6[0];
      written++;
      continue;
    }
    /* No room: count the body once (the first of its contacts past the written ones), so the caller sees how many. */
    int seen = 0;
    for (int j = 0; j < i && !seen; j++) {
      const mjContact* e = d->contact + j;
      int e1 = m->geom_bodyid[e->geom1], e2 = m->geom_bodyid[e->geom2];
      seen = (e1 == body && e2 == other) || (e2 == body && e1 == other);
    }
    if (!seen) overflow++;
  }
  return written + overflow;
}

int rtmj_body_contact_torque(const rtmj* h, int body, double* tau) {
  CHECK_H(h);
  CHECK_ID(body, h->m->nbody);
  if (!tau) return RTMJ_ERR_ARG;
  const mjModel* m = h->m;
  const mjData* d = h->d;
  enum { MaxDof = 64 };
  if (m->nv > MaxDof) return RTMJ_ERR_ARG;
  mjtNum jacp[3 * MaxDof];
  for (int k = 0; k < m->nv; k++) tau[k] = 0;
  int counted = 0;
  for (int i = 0; i < d->ncon; i++) {
    const mjContact* c = d->contact + i;
    int b1 = m->geom_bodyid[c->geom1], b2 = m->geom_bodyid[c->geom2];
    int other = b1 == body ? b2 : b2 == body ? b1 : -1;
    if (other <= 0 || other == body) continue; /* not this body's, or against the world */
    mjtNum f6[6], f[3];
    mj_contactForce(m, d, i, f6);
    /* Contact frame rows: normal (from geom1 to geom2), then the two tangents; f6 is the force on geom2. */
    for (int a = 0; a < 3; a++) f[a] = f6[0] * c->frame[a] + f6[1] * c->frame[3 + a] + f6[2] * c->frame[6 + a];
    double sign = other == b2 ? 1.0 : -1.0;
    mj_jac(m, d, jacp, NULL, c->pos, other);
    for (int k = 0; k < m->nv; k++)
      tau[k] += sign * (jacp[k] * f[0] + jacp[m->nv + k] * f[1] + jacp[2 * m->nv + k] * f[2]);
    counted++;
  }
  return counted;
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
  shortcut_snapshot(h);
  return RTMJ_OK;
}
