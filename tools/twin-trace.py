#!/usr/bin/env python3
"""Per-tick trace of one joint from a tick log (.rtt), and held-joint statistics (issue 13, torque loss at a standing joint).

  rt hil run <scenario> --record DIR; rt recording convert DIR/<run>.mcap run.rtt
  tools/twin-trace.py trace run.rtt l_ankle_pitch 2995 3060 [step]   # q, q̇, τ, target, innovations, detectors, r
  tools/twin-trace.py held run.rtt [window]                          # per joint, over ticks whose target stood still ≥ 60 ticks:
                                                                     # max |q − target|, max drift over `window` ticks, max |r|
  tools/twin-trace.py slip run.rtt robot.twin.yaml [window] [z]     # per joint, held and slipping (|mean q̇ over window| > z σ of
                                                                     # that mean, from the calibrated velocity σ, ρ): max of s·r − |τ_f(q̇)|
                                                                     # (session 8's single-tick evidence: HeldSlipCheck now uses the
                                                                     # 7-tick mean of r and a threshold through M(q); this is an aid, not it)
Columns: RecordLayout (docs/TWIN.md, "Recording format"); r = the momentum observer's external-torque estimate.
Standard library only. Not part of the tick; an analysis aid.
"""
import struct, sys

def read(path):
    b = open(path, 'rb').read()
    if b[:8] != b"RTTICKS\x1a": sys.exit(f"{path}: offset 0: not a tick log (magic)")
    _ver, hdr = struct.unpack_from('<II', b, 8)
    nj, ni, nc, width = struct.unpack_from('<IIII', b, 24)
    off = 40
    def s():
        nonlocal off
        n, = struct.unpack_from('<H', b, off); off += 2
        v = b[off:off + n].decode(); off += n
        return v
    s()
    joints = [s() for _ in range(nj)]; [s() for _ in range(ni)]; chans = [s() for _ in range(nc)]
    off = hdr; rec = 8 + 8 * width
    rows = [struct.unpack_from('<%dd' % width, b, off + k * rec + 8) for k in range((len(b) - off) // rec)]
    return dict(joints=joints, chans=chans, nj=nj, ni=ni, nc=nc, width=width, rows=rows)

def J(d, j, f): return 3 + 12 * j + f            # 6 q, 7 q̇, 8 τ, 9 target q, 10 target q̇
def C(d, c, f): return 3 + 12 * d['nj'] + 8 * d['ni'] + 4 * c + f   # 0 innovation, 1 score, 2 detector, 3 over
def X(d, j): return 3 + 12 * d['nj'] + 8 * d['ni'] + 4 * d['nc'] + j

def trace(d, name, t0, t1, step):
    j = d['joints'].index(name); c0 = d['chans'].index(name + '.position')
    print(" tick  q-tgt(urad) qd(mrad/s)  tau(Nm)   r(Nm) | innov: q(urad) v(mrad/s) tau  ext | detector: q v tau ext | worst")
    for t in range(t0, min(t1, len(d['rows'])), step):
        v = d['rows'][t]; e = [v[C(d, c0 + k, 0)] for k in range(4)]; det = [v[C(d, c0 + k, 2)] for k in range(4)]
        w = int(v[d['width'] - 3])
        print("%5d %9.1f %9.2f %8.3f %7.3f | %7.2f %7.2f %6.3f %6.3f | %5.2f %5.2f %5.2f %5.2f | %s %.2f" % (
            t, (v[J(d, j, 6)] - v[J(d, j, 9)]) * 1e6, v[J(d, j, 7)] * 1e3, v[J(d, j, 8)], v[X(d, j)],
            e[0] * 1e6, e[1] * 1e3, e[2], e[3], *det, d['chans'][w] if w >= 0 else '-', v[d['width'] - 2]))

def held(d, window):
    rows = d['rows']
    for j, name in enumerate(d['joints']):
        still = n = 0; me = md = mr = 0.0
        for k in range(1, len(rows)):
            v = rows[k]
            still = still + 1 if abs(v[J(d, j, 9)] - rows[k - 1][J(d, j, 9)]) < 1e-9 else 0
            if not (int(v[2]) & 1) or still < 60: continue
            n += 1
            me = max(me, abs(v[J(d, j, 6)] - v[J(d, j, 9)])); mr = max(mr, abs(v[X(d, j)]))
            if still >= 60 + window: md = max(md, abs(v[J(d, j, 6)] - rows[k - window][J(d, j, 6)]))
        print("%-14s held ticks %6d  max|q-tgt| %8.1f urad  max drift/%d ticks %8.1f urad  max|r| %6.3f N·m" % (name, n, me * 1e6, window, md * 1e6, mr))

def slip(d, twin_yaml, window, z):
    import math, re
    txt = open(twin_yaml).read(); par = {}
    for m in re.finditer(r'- name: "(\w+)"\n\s+servo:.*\n\s+friction: \{coulomb_friction_nm: ([\d.eE+-]+), viscous_friction_nms_per_rad: '
                         r'([\d.eE+-]+), coulomb_smoothing_rad_s: ([\d.eE+-]+)\}\n\s+noise: \{position_rad: [\d.eE+-]+, velocity_rad_s: '
                         r'([\d.eE+-]+),.*velocity_ar1: ([\d.eE+-]+)', txt):
        par[m.group(1)] = tuple(float(m.group(i)) for i in range(2, 7))
    rows = d['rows']; w = window
    for j, name in enumerate(d['joints']):
        fc, fv, eps, sv, rho = par[name]
        sm = math.sqrt(sv * sv / (1 - rho * rho) * (w + 2 * sum((w - m) * rho ** m for m in range(1, w))) / (w * w))
        still = 0; buf = []; best = None; at = None
        for k in range(1, len(rows)):
            v = rows[k]
            still = still + 1 if abs(v[J(d, j, 9)] - rows[k - 1][J(d, j, 9)]) < 1e-9 else 0
            buf = (buf + [v[J(d, j, 7)]])[-w:]
            if not (int(v[2]) & 1) or still < 51 or len(buf) < w: continue
            vb = sum(buf) / w
            if abs(vb) < z * sm: continue
            e = (1 if vb > 0 else -1) * v[X(d, j)] - abs(fv * vb + fc * math.tanh(vb / eps))
            if best is None or e > best: best, at = e, k
        print("%-14s slipping-while-held max evidence %s" % (name, '-' if best is None else '%.3f N·m at tick %d' % (best, at)))

if __name__ == '__main__':
    a = sys.argv[1:]
    if len(a) >= 5 and a[0] == 'trace': trace(read(a[1]), a[2], int(a[3]), int(a[4]), int(a[5]) if len(a) > 5 else 1)
    elif len(a) >= 2 and a[0] == 'held': held(read(a[1]), int(a[2]) if len(a) > 2 else 20)
    elif len(a) >= 3 and a[0] == 'slip': slip(read(a[1]), a[2], int(a[3]) if len(a) > 3 else 5, float(a[4]) if len(a) > 4 else 4)
    else: sys.exit(__doc__)
