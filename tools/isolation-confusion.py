#!/usr/bin/env python3
"""Isolation accuracy per fault family (issue 13) from `rt hil run|sweep --json` reports.

Usage: tools/isolation-confusion.py <report.json>...
  e.g. dotnet hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll hil run hil/scenarios --tag iso --jobs 2 --json /tmp/iso.json
       dotnet hil/Rt.Hil.Host/bin/Release/net10.0/rt.dll hil sweep hil/scenarios/iso-*.yaml --hours 0.001 --seeds 1 \
           --seed-base 1000 --jobs 2 --json /tmp/iso-1000.json
       tools/isolation-confusion.py /tmp/iso.json /tmp/iso-1000.json
Prints per family the runs scored (a trip at or after the injection), right class, right location and the runs not
scored (no trip) (and, with obstacle runs, the runs that named a link the obstacle touched), then the class confusion (truth against the isolated class), then every run isolated wrongly or not at all with what it named next to the truth (an obstacle run: with the links the box touched). The score is of
the cause the run's record names (the twin's refined cause after its evidence window when it has one); the line
"at the trip tick" scores what the trip tick itself isolated (the reaction's basis; tripIsolated* in the report).
Exit status: 0, or 2 when a file is not such a report (one line names it).
"""
import collections
import json
import re
import sys

FAMILIES = ['obstacle', 'wrench', 'payload', 'encoder-freeze', 'encoder-jump', 'encoder-noise', 'imu-gyro-bias',
            'imu-accel-bias', 'imu-bias', 'imu-freeze', 'imu-saturation', 'torque-loss', 'friction', 'slave-safeop',
            'frame-loss', 'link-down']


def family(name):
    n = re.sub(r'#\d+$', '', name)
    for k in FAMILIES:
        if k in n:
            return 'imu-bias' if k.startswith('imu-') and k.endswith('bias') else k
    return n


def touch_note(s):
    """For an obstacle run: what the box touched (links with >= 10 % of the largest peak force) and which link first."""
    t = s.get('touch')
    if t is None:
        return ""
    links = ', '.join(f"{l['link']} {l['peakN']:.0f} N" for l in t.get('touched', [])) or 'nothing'
    mark = '; a touched link' if s.get('touchedLinkRight') and not s.get('locationRight') else ''
    return f"; obstacle touched {links} (first {t.get('firstTouched')}){mark}"


def main(paths):
    scored, cls, loc, missed, tcls, tloc, touched = (collections.Counter() for _ in range(7))
    obstacle_runs = 0
    confusion = collections.Counter()  # (truth class, isolated class)
    wrong = []
    for path in paths:
        try:
            with open(path, encoding='utf-8') as f:
                runs = json.load(f)['campaign']['scenarios']
        except (OSError, ValueError, KeyError, TypeError) as e:
            print(f"error: {path}: expected an rt hil run/sweep JSON report with campaign.scenarios ({e})", file=sys.stderr)
            return 2
        for s in runs:
            if s.get('truthClass') is None:
                continue
            fam = family(s['name'])
            truth = f"{s['truthClass']} at {s['truthLocation']}"
            if s.get('classRight') is None:
                missed[fam] += 1
                wrong.append(f"  no trip  {s['name']} (seed {s['seed']}): truth {truth}")
                continue
            scored[fam] += 1
            confusion[(s['truthClass'], s.get('isolatedClass') or 'none')] += 1
            cls[fam] += bool(s['classRight'])
            loc[fam] += bool(s['locationRight'])
            # "named a link the obstacle touched" (reports before it existed: the strict location)
            touched[fam] += bool(s.get('touchedLinkRight', s['locationRight']))
            obstacle_runs += s.get('touch') is not None
            if s.get('tripIsolatedClass') is None:
                tcls[fam] += bool(s['classRight'])
                tloc[fam] += bool(s['locationRight'])
            else:
                tl, tr = s.get('tripIsolatedLocation') or '', s['truthLocation']
                tcls[fam] += s['tripIsolatedClass'] == s['truthClass']
                tloc[fam] += tl == tr or (tl.startswith(tr + '.') and len(tl) == len(tr) + 2)
            if not (s['classRight'] and s['locationRight']):
                at_trip = (f" (trip tick: {s['tripIsolatedClass']} at {s.get('tripIsolatedLocation')})"
                           if s.get('tripIsolatedClass') is not None else "")
                wrong.append(f"  wrong    {s['name']} (seed {s['seed']}): isolated {s.get('isolatedClass')} at "
                             f"{s.get('isolatedLocation')}{at_trip}, truth {truth}, trip {s.get('detectionLatencyMs')} ms after the injection"
                             + touch_note(s))
    print(f"{'family':16} {'scored':>6} {'class':>6} {'loc':>6} {'no trip':>7}" + (f" {'touched':>7}" if obstacle_runs else ""))
    for k in sorted(set(scored) | set(missed)):
        print(f"{k:16} {scored[k]:6} {cls[k]:6} {loc[k]:6} {missed[k]:7}" + (f" {touched[k]:7}" if obstacle_runs else ""))
    n = sum(scored.values())
    if n:
        print(f"isolation: class right {sum(cls.values())}/{n} ({100 * sum(cls.values()) / n:.0f} %), location right "
              f"{sum(loc.values())}/{n} ({100 * sum(loc.values()) / n:.0f} %); {sum(missed.values())} run(s) without a trip")
        if obstacle_runs:
            print(f"named a link the obstacle touched: {sum(touched.values())}/{n} ({100 * sum(touched.values()) / n:.0f} %)")
        print(f"at the trip tick: class right {sum(tcls.values())}/{n} ({100 * sum(tcls.values()) / n:.0f} %), location right "
              f"{sum(tloc.values())}/{n} ({100 * sum(tloc.values()) / n:.0f} %)")
    if confusion:
        named = sorted({c for _, c in confusion})
        print("class confusion (rows: truth, columns: isolated)")
        print(f"  {'truth':10} " + ' '.join(f"{c:>10}" for c in named))
        for t in sorted({t for t, _ in confusion}):
            print(f"  {t:10} " + ' '.join(f"{confusion[(t, c)]:10}" for c in named))
    try:
        for w in wrong:
            print(w)
    except BrokenPipeError:  # e.g. piped into head
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]) if len(sys.argv) > 1 else (print(__doc__.strip(), file=sys.stderr) or 2))
