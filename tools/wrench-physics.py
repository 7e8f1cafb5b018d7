#!/usr/bin/env python3
"""What a collision_wrench does to the joint sensors in its first milliseconds (issue 13, docs/TWIN.md "Contact test").

Usage: tools/wrench-physics.py <injected.rtt> <control.rtt> <twin.yaml> <onset_tick> <chain joint,...>

The two tick logs (rt recording convert of `rt hil run --record`) are the same scenario and seed with and without the
wrench (lockstep runs are bit-for-bit repeatable, so their difference is the wrench's effect). Prints per joint: the
position at the onset, the noise of the momentum observer's residual r and of its per-tick input w in the control run
(the last 1 s before the onset), r's difference at +1 … +10 ms; then the chain χ² of the contact GLR (ContactTest's
statistic with the true force, an upper bound of any fit) at +5/+10/+20 ms with the calibrated σ, ρ of the twin file,
and with the σ, ρ measured on the control run's 200 ticks before the onset (the standing noise, an oracle); last, the
step statistic ContactTest uses (mean of u since the onset minus the mean of the 60 ticks before) as a Mahalanobis
distance with the chain's full noise covariance, estimated from the control run's steps over 1.0 s … onset − 10 ms
(in-sample, an oracle), against the same statistic over those control windows (the empirical null).
"""
import math, re, struct, sys

def load(path):
    b = open(path, 'rb').read()
    if b[:8] != b"RTTICKS\x1a": sys.exit(f"{path}: offset 0: not a tick log (expected RTTICKS)")
    ver, hdr = struct.unpack_from('<II', b, 8)
    period, nj, ni, nc, width = struct.unpack_from('<qIIII', b, 16)
    off = 40
    def name(off):
        l, = struct.unpack_from('<H', b, off)
        return b[off + 2:off + 2 + l].decode(), off + 2 + l
    _, off = name(off)
    joints = []
    for _ in range(nj):
        x, off = name(off); joints.append(x)
    rec = 8 + 8 * width
    rows = [struct.unpack_from('<%dd' % width, b, hdr + k * rec + 8) for k in range((len(b) - hdr) // rec)]
    return joints, 3 + 12 * nj + 8 * ni + 4 * nc, rows

def main():
    if len(sys.argv) != 6: sys.exit(__doc__)
    joints, ext, a = load(sys.argv[1])
    _, _, c = load(sys.argv[2])
    txt = open(sys.argv[3]).read()
    sig = [float(x) for x in re.findall(r'external_torque_nm: ([0-9.eE+-]+)', txt)]
    rho = [float(x) for x in re.findall(r'external_torque_ar1: ([0-9.eE+-]+)', txt)]
    gain = 200.0
    m = re.search(r'observer_gain: ([0-9.eE+-]+)', txt)
    if m: gain = float(m.group(1))
    onset, chain = int(sys.argv[4]), sys.argv[5].split(',')
    pole = math.exp(-gain * 0.001)
    def w(d, k, j): return (d[k][ext + j] - pole * d[k - 1][ext + j]) / (1 - pole)
    print('%-14s %8s %8s %8s | r(injected) - r(control), N·m, at +1 … +10 ms' % ('joint', 'q rad', 'std r', 'std w'))
    for j, jn in enumerate(joints):
        rs = [c[k][ext + j] for k in range(onset - 1000, onset)]
        mu = sum(rs) / len(rs)
        sr = math.sqrt(sum((x - mu) ** 2 for x in rs) / len(rs))
        ws = [w(c, k, j) for k in range(onset - 999, onset)]
        mw = sum(ws) / len(ws)
        sw = math.sqrt(sum((x - mw) ** 2 for x in ws) / len(ws))
        dr = [a[k][ext + j] - c[k][ext + j] for k in range(onset, onset + 10)]
        print('%-14s %8.4f %8.3f %8.3f | %s' % (jn, c[onset - 1][3 + 12 * j + 6], sr, sw, ' '.join('%6.2f' % x for x in dr)))
    for label in ('calibrated', 'standing (oracle)'):
        for upto in (5, 10, 20):
            tot, parts = 0.0, []
            for jn in chain:
                j = joints.index(jn)
                if label == 'calibrated':
                    s, r, mu = sig[j], rho[j], 0.0
                else:
                    ws = [w(c, k, j) for k in range(onset - 200, onset)]
                    mu = sum(ws) / len(ws)
                    v = sum((x - mu) ** 2 for x in ws) / len(ws)
                    r = sum((ws[i] - mu) * (ws[i - 1] - mu) for i in range(1, len(ws))) / len(ws) / v
                    e = [(ws[i] - mu) - r * (ws[i - 1] - mu) for i in range(1, len(ws))]
                    s = math.sqrt(sum(x * x for x in e) / len(e))
                z = [((w(a, k, j) - mu) - r * (w(a, k - 1, j) - mu)) / s for k in range(onset, onset + upto)]
                A = z[0] + (1 - r) * sum(z[1:])
                B = 1 + (len(z) - 1) * (1 - r) ** 2
                tot += A * A / B
                parts.append('%s σ %.3f ρ %.2f: %.1f' % (jn, s, r, A * A / B))
            print('chain χ² %-17s +%2d ms: %6.1f  [%s]' % (label, upto, tot, '; '.join(parts)))

    # The chain's covariance: the observer's per-tick inputs are correlated across joints (velocity noise enters every
    # joint of a chain through M(q)); the step statistic with that covariance.
    idx = [joints.index(x) for x in chain]
    R = 60
    def step(d, end, na):
        return [sum(w(d, k, j) for k in range(end - na + 1, end + 1)) / na
                - sum(w(d, k, j) for k in range(end - na - R + 1, end - na + 1)) / R for j in idx]
    def inv(m):
        n = len(m); t = [row[:] + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(m)]
        for i in range(n):
            p = max(range(i, n), key=lambda r: abs(t[r][i])); t[i], t[p] = t[p], t[i]
            piv = t[i][i]; t[i] = [x / piv for x in t[i]]
            for r in range(n):
                if r != i:
                    f = t[r][i]; t[r] = [x - f * y for x, y in zip(t[r], t[i])]
        return [row[n:] for row in t]
    for na in (5, 10):
        S = [step(c, e, na) for e in range(1000, onset - 10)]
        n = len(idx)
        mu = [sum(v[i] for v in S) / len(S) for i in range(n)]
        C = [[sum((v[i] - mu[i]) * (v[k] - mu[k]) for v in S) / len(S) for k in range(n)] for i in range(n)]
        Ci = inv(C)
        q = lambda v: sum(v[i] * Ci[i][k] * v[k] for i in range(n) for k in range(n))
        d = step(a, onset - 1 + na, na)
        qs = sorted(q([v[i] - mu[i] for i in range(n)]) for v in S)
        corr = max(abs(C[i][k]) / math.sqrt(C[i][i] * C[k][k]) for i in range(n) for k in range(n) if i != k) if n > 1 else 0
        print('chain covariance +%2d ms: step Mahalanobis %.1f (independent joints, same σ: %.1f); control windows median %.1f, max %.1f of %d; largest |correlation| %.2f'
              % (na, q(d), sum(d[i] * d[i] / C[i][i] for i in range(n)), qs[len(qs) // 2], qs[-1], len(qs), corr))

main()
