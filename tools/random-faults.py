#!/usr/bin/env python3
"""Random fault scenarios for biped12: a search for safety bugs no hand-written scenario thought of (issue 13).

  tools/random-faults.py OUT_DIR [--count N] [--seed S] [--kinds collision_obstacle,collision_wrench]
  rt hil run OUT_DIR -j 2 --json OUT_DIR/report.json      # then read the failures and the collision numbers

Each file is a scenario (docs/HIL.md, "Scenario files") with one injection drawn from the seed: the kind, its target
(any joint; an obstacle on a link with collision geometry, a wrench on the thigh, shin, ankle link or foot; any IMU),
its size, the motion (march, sine at any moment of its sweep, hold) and the moment in it, and the issue's expectation
for that kind (collision ≤ 10 ms, encoder ≤ 5, torque loss ≤ 20, IMU bias and friction ≤ 50, slave ≤ 3, frame loss
within the budget: no trip, over it: a stop). Files are named by seed and kind; each scenario's seed is its own
(seed + index), so one file reruns alone. The sizes are drawn without knowing the robot's noise or load, so some
faults change nothing measurable (a frozen encoder on a joint at rest): what a miss means is read per run, not scored.
What matters are the reactions: a collision whose power is cut, a leg that drops, a false trip.
Standard library only. Not part of the suite (runs take minutes): a tools/ command.
"""
import argparse, math, os, random, sys

LEGS = ("l", "r")
JOINTS = ("hip_yaw", "hip_roll", "hip_pitch", "knee", "ankle_pitch", "ankle_roll")
TOUCHABLE = ("thigh", "shin", "foot")  # links with collision geometry in biped12.urdf
# Wrench targets: not the hip-yaw and hip-roll links, whose centres of mass sit within a few cm of the hip axes: a force
# there goes into the stand (iso-wrench-left-hip-roll-link shows that limit already).
LINKS = ("thigh", "shin", "ankle_link", "foot")
IMUS = ("pelvis_imu", "l_foot_imu", "r_foot_imu")
RANDOMISATION = ("{ mass_fraction: 0.05, inertia_fraction: 0.05, friction_fraction: 0.2, motor_constant_fraction: 0.03, "
                 "encoder_noise_counts: [0, 2], imu_accel_noise_ms2: [0.01, 0.03], imu_gyro_noise_rad_s: [0.001, 0.003], "
                 "sensor_latency_substeps: [0, 1] }")
# (kind, weight)
KINDS = (("collision_obstacle", 24), ("collision_wrench", 18), ("torque_loss", 10), ("joint_friction", 5),
         ("encoder_freeze", 7), ("encoder_jump", 8), ("encoder_noise", 4), ("imu_bias", 8), ("imu_freeze", 2),
         ("imu_saturation", 2), ("slave_safeop", 4), ("frame_loss", 6), ("payload", 2))


def moment(rng, motion):
    """When, in which motion: march after its settle, sine inside one joint's 8 s segment (2 s settle), hold."""
    if motion == "march":
        return round(rng.uniform(1.6, 5.2), 3)
    if motion == "sine":
        k = rng.randrange(12)
        return round(2.0 + 8 * k + rng.uniform(0.5, 7.4), 3)
    return round(rng.uniform(1.5, 4.0), 3)


def injection(rng, kind):
    leg = rng.choice(LEGS)
    joint = f"{leg}_{rng.choice(JOINTS)}"
    if kind == "collision_obstacle":
        return f"kind: {kind}, target: {leg}_{rng.choice(TOUCHABLE)}", {"within_ms": 10}
    if kind == "collision_wrench":
        mag = rng.uniform(50, 120)
        v = [rng.gauss(0, 1) for _ in range(3)]
        n = math.sqrt(sum(c * c for c in v)) or 1.0
        f = ", ".join(f"{mag * c / n:.1f}" for c in v)
        return (f"kind: {kind}, target: {leg}_{rng.choice(LINKS)}, force_n: [{f}], duration_s: {rng.choice((0.3, 0.5))}",
                {"within_ms": 10})
    if kind == "torque_loss":
        return f"kind: {kind}, target: {joint}, scale: {rng.choice((0.0, 0.2, 0.5))}, duration_s: 0.5", {"within_ms": 20}
    if kind == "joint_friction":
        return f"kind: {kind}, target: {joint}, friction_nm: {rng.uniform(4, 10):.1f}", {"within_ms": 50}
    if kind == "encoder_freeze":
        return f"kind: {kind}, target: {joint}", {"within_ms": 5}
    if kind == "encoder_jump":
        off = rng.uniform(0.01, 0.1) * rng.choice((-1, 1))
        return f"kind: {kind}, target: {joint}, offset_rad: {off:.4f}", {"within_ms": 5}
    if kind == "encoder_noise":
        return f"kind: {kind}, target: {joint}, noise_counts: {rng.randrange(100, 500)}, duration_s: 0.3", {"within_ms": 5}
    if kind == "imu_bias":
        axis = rng.randrange(3)
        gyro = rng.random() < 0.5
        size = rng.uniform(0.05, 0.2) if gyro else rng.uniform(0.3, 4.0)
        v = ["0.0"] * 3
        v[axis] = f"{size * rng.choice((-1, 1)):.3f}"
        key = "gyro_bias_rad_s" if gyro else "accel_bias_ms2"
        return f"kind: {kind}, target: {rng.choice(IMUS)}, {key}: [{', '.join(v)}]", {"within_ms": 50}
    if kind in ("imu_freeze", "imu_saturation"):
        return f"kind: {kind}, target: {rng.choice(IMUS)}, duration_s: 0.5", {"within_ms": 5}
    if kind == "slave_safeop":
        target = joint if rng.random() < 0.8 else rng.choice(IMUS)
        return f"kind: {kind}, target: {target}", {"within_ms": 3}
    if kind == "frame_loss":
        frames = rng.randrange(1, 8)
        return f"kind: {kind}, frames: {frames}", ({"outcome": "no_trip"} if frames <= 3 else {"within_ms": 5})
    if kind == "payload":
        return f"kind: {kind}, target: {leg}_{rng.choice(('shin', 'foot'))}, mass_kg: {rng.uniform(2, 5):.1f}", {"within_ms": 100}
    raise AssertionError(kind)


def bad(message):
    """Bad input: one line, exit code 2 (the project's)."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=30000)
    ap.add_argument("--kinds", default="", help="comma-separated injection kinds to draw from (default: all)")
    a = ap.parse_args()
    if a.count < 1 or a.count > 10000:
        bad(f"--count {a.count}: expected 1 … 10000")
    try:
        os.makedirs(a.out, exist_ok=True)
    except OSError as e:
        bad(f"{a.out}: cannot create the folder ({e.strerror})")
    robot = os.path.relpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hil", "robots", "biped12",
                                         "biped12.yaml"), os.path.abspath(a.out))
    chosen = [k for k in KINDS if not a.kinds or k[0] in a.kinds.split(",")]
    if not chosen:
        bad(f"--kinds {a.kinds}: expected some of {', '.join(k for k, _ in KINDS)}")
    kinds, weights = zip(*chosen)
    for i in range(a.count):
        seed = a.seed + i
        rng = random.Random(seed)
        kind = rng.choices(kinds, weights)[0]
        # An obstacle needs a moving link to strike; a push (wrench) also comes to a standing robot.
        motions = ("march", "sine") if kind == "collision_obstacle" else ("march", "sine", "hold")
        motion = rng.choice(motions)
        at = moment(rng, motion)
        inj, expect = injection(rng, kind)
        outcome = expect.pop("outcome", "stop")
        exp = f"outcome: {outcome}" + "".join(f", {k}: {v}" for k, v in expect.items())
        name = f"rf{seed}-{kind.replace('_', '-')}"
        with open(os.path.join(a.out, name + ".yaml"), "w") as f:
            f.write(f"# tools/random-faults.py --seed {a.seed}: file {i}\n"
                    f"name: {name}\nmotion: {motion}\nrobot: {robot}\nduration_s: {at + 0.6:.3f}\nseed: {seed}\n"
                    f"tags: [random]\nrandomisation: {RANDOMISATION}\n"
                    f"injections:\n  - {{ at_s: {at}, {inj} }}\nexpect: {{ {exp} }}\n")
    print(f"wrote {a.count} scenarios to {a.out} (seeds {a.seed} … {a.seed + a.count - 1})")


if __name__ == "__main__":
    main()
