#!/usr/bin/env python3
"""The isolator's evidence window against MuJoCo's truth, per obstacle run (issue 13, docs/TWIN.md "Session 14").

Usage: tools/window-oracle.py <report.json> ...   (rt hil run <set> --json <report.json>; needs numpy: Debian python3-numpy)

Each obstacle run's report carries `touch.window`: per joint the window's mean observer residual r, the box's true joint
torques as an exact observer shows them, and the joint positions at the window's end. This applies one plain point-force
fit (a simplified FaultIsolator.LocateContact: biped12's links from the URDF, the same candidate points, weights from the
twin's noise with the window's share 0.3, relative model error 0.1, force prior 150 N, proximal preference 0.85, both
legs with the chain preference) to r and to the true torques, and prints how often each names the injected link, next to
the isolator's own answer and the trip tick's. The gap between the fit on r and the fit on the truth is what the residual's
errors cost; what the truth itself misses is what joint torques cannot tell apart.
"""
import json, math, re, sys, os

def fail(code, message):
    """One line on stderr and the README's exit code: 2 bad input, 3 missing library."""
    print(f"tools/window-oracle.py: {message}", file=sys.stderr)
    sys.exit(code)

try:
    import numpy as np
except ImportError:
    fail(3, "numpy not found; expected Debian's python3-numpy (tools/setup.sh installs it)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
URDF = open(os.path.join(ROOT, 'hil/robots/biped12/biped12.urdf')).read()
JOINTS = ['hip_yaw', 'hip_roll', 'hip_pitch', 'knee', 'ankle_pitch', 'ankle_roll']
LINKS = ['hip_yaw_link', 'hip_roll_link', 'thigh', 'shin', 'ankle_link', 'foot']
# biped12.twin.yaml's external-torque σ per joint (rounded), N·m.
SIGMA = {'hip_yaw': 0.29, 'hip_roll': 6.6, 'hip_pitch': 11.5, 'knee': 4.9, 'ankle_pitch': 0.48, 'ankle_roll': 0.13}

def vec(text): return np.array([float(x) for x in text.split()])

def leg(side):
    origins, axes, coms = [], [], []
    for j, l in zip(JOINTS, LINKS):
        m = re.search(r'<joint name="%s_%s" type="revolute">.*?<origin xyz="([^"]+)".*?<axis xyz="([^"]+)"' % (side, j), URDF, re.S)
        origins.append(vec(m.group(1))); axes.append(vec(m.group(2)))
        m = re.search(r'<link name="%s_%s">\s*<inertial>\s*<origin xyz="([^"]+)"' % (side, l), URDF)
        coms.append(vec(m.group(1)))
    return origins, axes, coms

LEGS = {s: leg(s) for s in 'lr'}

def rot(axis, q):
    a = axis / np.linalg.norm(axis)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + math.sin(q) * k + (1 - math.cos(q)) * k @ k

def fit(qs, rs, eps=0.1, prior=1 / 150 ** 2, prox=0.85):
    weights, energy = {}, {}
    for side in 'lr':
        r = rs[side]
        weights[side] = np.array([1 / ((SIGMA[j] * 0.3) ** 2 + (eps * r[i]) ** 2) for i, j in enumerate(JOINTS)])
        energy[side] = float(np.sum(weights[side] * r * r))
    total = energy['l'] + energy['r']
    best = None
    for side in 'lr':
        origins, axes, coms = LEGS[side]
        q, r, w = qs[side], rs[side], weights[side]
        rm, p, o, a, rs_ = np.eye(3), np.zeros(3), [], [], []
        for i in range(6):
            p = p + rm @ origins[i]; rm = rm @ rot(axes[i], q[i])
            o.append(p.copy()); a.append(rm @ axes[i]); rs_.append(rm.copy())
        for b in range(6):
            points = [np.zeros(3), coms[b]] + ([origins[b + 1] * 0.5, origins[b + 1]] if b < 5 else [coms[b] * 2])
            for pt in points:
                x = o[b] + rs_[b] @ pt
                g = np.array([np.cross(a[i], x - o[i]) for i in range(b + 1)])
                wb = w[:b + 1]
                am = (g.T * wb) @ g
                am += np.eye(3) * (1e-9 * np.trace(am) + prior)
                y = (g.T * wb) @ r[:b + 1]
                f = np.linalg.solve(am, y)
                chain = max(0.0, float(np.sum(wb * r[:b + 1] ** 2)) - float(f @ y)) + float(np.sum(w[b + 1:] * r[b + 1:] ** 2))
                cost = chain + (total - energy[side])
                if best is None:
                    best = (cost, chain, side, b); continue
                same = best[2] == side
                challenger, holder = (chain, best[1]) if same else (cost, best[0])
                if challenger < holder * prox or (b <= best[3] and challenger < holder):
                    best = (cost, chain, side, b)
    return best[2] + '_' + LINKS[best[3]]

def main(paths):
    if not paths:
        fail(2, "usage: tools/window-oracle.py <report.json> ...  (rt hil run <set> --json <report.json>)")
    n = iso = trip = on_r = on_truth = 0
    for path in paths:
        try:
            with open(path) as f:
                runs = json.load(f)['campaign']['scenarios']
        except (OSError, ValueError, KeyError, TypeError) as e:
            fail(2, f"{path}: not a campaign report (expected rt hil run --json output): {e}")
        for i, s in enumerate(runs):
            window = (s.get('touch') or {}).get('window')
            if not window or s.get('locationRight') is None or 'positionRad' not in window[0]: continue
            try:
                by = lambda key: {side: np.array([float(x[key]) for x in window if x['joint'].startswith(side + '_')]) for side in 'lr'}
                qs, r, seen = by('positionRad'), by('residualNm'), by('contactSeenNm')
                truth = s['truthLocation']
                if any(len(v[side]) != len(JOINTS) for v in (qs, r, seen) for side in 'lr'):
                    raise ValueError(f"expected {len(JOINTS)} joints per leg (biped12)")
            except (KeyError, TypeError, ValueError) as e:
                fail(2, f"{path}: campaign.scenarios[{i}] ({s.get('name')}): touch.window: {e!r}")
            n += 1
            iso += s.get('isolatedLocation') == truth
            trip += s.get('tripIsolatedLocation') == truth
            on_r += fit(qs, r) == truth
            on_truth += fit(qs, seen) == truth
    if n == 0:
        fail(2, "no obstacle run with touch.window in the report(s): expected rt hil run --json output of session 14 or later")
    print(f"obstacle runs: {n}")
    print(f"trip tick's link right: {trip}")
    print(f"isolator's link right: {iso}")
    print(f"plain fit on the residual right: {on_r}")
    print(f"plain fit on the true torques right: {on_truth}")

if __name__ == '__main__':
    main(sys.argv[1:])
