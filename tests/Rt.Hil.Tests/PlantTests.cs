using Rt.Core.Config;
using Rt.Core.Description;
using Rt.Core.Errors;
using Rt.Hil.Plant;

namespace Rt.Hil.Tests;

public class PlantTests
{
    private static MujocoPlant LoadPlant(IReadOnlyList<ImuConfig>? imus = null, double? obstacleHalfDepthM = null) =>
        MujocoPlant.Load(BenchFixtures.Robot, new PlantOptions
        {
            JointOrder = BenchFixtures.Config.Joints.Select(j => j.Name).ToArray(),
            Imus = imus ?? BenchFixtures.Config.Imus,
            ObstacleHalfDepthM = obstacleHalfDepthM ?? new PlantOptions().ObstacleHalfDepthM,
        });

    [Fact]
    public void Loads_the_biped_with_one_dof_per_configured_joint_and_hangs_above_the_floor()
    {
        using var plant = LoadPlant();
        Assert.Equal(12, plant.JointCount);
        Assert.Equal(3, plant.ImuCount);
        Assert.Equal(1, plant.ObstacleCount);
        Assert.Contains("integrator=\"Euler\"", plant.Mjcf);
        Assert.Contains("diaginertia=", plant.Mjcf);
        Assert.DoesNotContain("freejoint", plant.Mjcf);
        // The pelvis is ~0.05 m above hip, legs 0.11 + 0.8 + foot: the root must sit roughly a metre up.
        Assert.InRange(plant.RootHeightM, 0.9, 1.3);
    }

    [Theory]
    [InlineData("l_knee")]
    [InlineData("l_hip_pitch")]
    [InlineData("r_hip_roll")]
    public void Positive_torque_moves_the_joint_positive_along_its_urdf_axis(string joint)
    {
        using var plant = LoadPlant();
        int i = BenchFixtures.JointIndex(joint);
        var q0 = new double[12];
        q0[i] = 0.3; // away from any limit
        plant.SetJointState(q0, new double[12]);
        // Hold every other joint still against gravity by cancelling the bias forces, push this one.
        var c = new double[12];
        plant.Bias(q0, new double[12], c);
        for (int k = 0; k < 12; k++) plant.SetJointTorque(k, c[k] + (k == i ? 20 : 0));
        Assert.True(plant.Step(200));
        Assert.True(plant.JointPosition(i) > 0.3 + 0.01, $"{joint}: q went from 0.3 to {plant.JointPosition(i)}");
        Assert.True(plant.JointVelocity(i) > 0);
    }

    [Fact]
    public void With_zero_torque_gravity_pulls_raised_legs_back_toward_hanging()
    {
        using var plant = LoadPlant();
        int hip = BenchFixtures.JointIndex("l_hip_pitch"), knee = BenchFixtures.JointIndex("r_knee");
        var q0 = new double[12];
        q0[hip] = -0.8; // thigh swung forward/back (either way: gravity must bring it toward 0)
        q0[knee] = 1.2; // shank folded
        plant.SetJointState(q0, new double[12]);
        Assert.True(plant.Step(400)); // 0.1 s
        Assert.True(Math.Abs(plant.JointPosition(hip)) < 0.8 - 0.05, $"hip pitch {plant.JointPosition(hip)}");
        Assert.True(plant.JointPosition(knee) < 1.2 - 0.05, $"knee {plant.JointPosition(knee)}");
        Assert.Equal(400 * 250_000L, plant.SimTimeNs);
    }

    [Fact]
    public void Pelvis_imu_at_rest_reads_plus_g_up_in_its_frame_and_no_rate()
    {
        using var plant = LoadPlant();
        plant.Step(10);
        plant.ReadImu(plant.ImuIndexOf("pelvis_imu"), out var f, out var w);
        Assert.Equal(0, f.X, 6);
        Assert.Equal(0, f.Y, 6);
        Assert.Equal(9.81, f.Z, 6);
        Assert.Equal(0, w.X, 9);
        Assert.Equal(0, w.Y, 9);
        Assert.Equal(0, w.Z, 9);
    }

    [Fact]
    public void Imu_readings_are_in_the_imu_frame_rolled_90_degrees_gravity_appears_on_y()
    {
        var rolled = new ImuConfig { Name = "rolled", Link = "pelvis", Xyz = [0, 0, 0.05], Rpy = [Math.PI / 2, 0, 0] };
        using var plant = LoadPlant([rolled]);
        plant.Step(2);
        plant.ReadImu(0, out var f, out _);
        // Up (world +z) expressed in a frame rolled +90° about x is +y.
        Assert.Equal(0, f.X, 6);
        Assert.Equal(9.81, f.Y, 6);
        Assert.Equal(0, f.Z, 6);
    }

    [Fact]
    public void Inverse_dynamics_equals_mass_matrix_times_acceleration_plus_bias()
    {
        using var plant = LoadPlant();
        var rng = new Random(3);
        int n = plant.JointCount;
        var q = new double[n]; var qd = new double[n]; var qdd = new double[n];
        for (int i = 0; i < n; i++)
        {
            q[i] = rng.NextDouble() - 0.5;
            qd[i] = 2 * rng.NextDouble() - 1;
            qdd[i] = 10 * rng.NextDouble() - 5;
        }
        var tau = new double[n]; var m = new double[n * n]; var c = new double[n];
        plant.InverseDynamics(q, qd, qdd, tau);
        plant.MassMatrix(q, m);
        plant.Bias(q, qd, c);
        for (int i = 0; i < n; i++)
        {
            double expected = c[i];
            for (int j = 0; j < n; j++) expected += m[i * n + j] * qdd[j];
            Assert.Equal(expected, tau[i], 9);
            Assert.True(m[i * n + i] > 0);
            for (int j = 0; j < n; j++) Assert.Equal(m[i * n + j], m[j * n + i], 12);
        }
        // The two legs are dynamically decoupled (fixed pelvis): no mass coupling between left and right joints.
        int l = BenchFixtures.JointIndex("l_knee"), r = BenchFixtures.JointIndex("r_knee");
        Assert.Equal(0, m[l * n + r], 12);
        // At rest the bias is pure gravity, and it does not depend on the plant's running state.
        plant.Step(50);
        var c2 = new double[n];
        plant.Bias(q, qd, c2);
        Assert.Equal(c, c2);
    }

    [Fact]
    public void Dynamics_queries_do_not_disturb_the_simulation()
    {
        using var plant = LoadPlant();
        plant.Step(20);
        var before = new double[12];
        plant.GetJointPositions(before);
        var q = new double[12]; Array.Fill(q, 0.4);
        var m = new double[144];
        plant.MassMatrix(q, m);
        var after = new double[12];
        plant.GetJointPositions(after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void External_wrench_on_a_foot_pushes_the_leg_the_way_it_points()
    {
        int hipRoll = BenchFixtures.JointIndex("l_hip_roll");
        using var free = LoadPlant();
        free.Step(400);
        using var pushed = LoadPlant();
        // +y on the left foot, below the hip-roll axis (+x): Rx(θ)·(0, 0, −L) = (0, L sin θ, …), so the roll angle grows.
        pushed.ApplyExternalWrench("l_foot", new Vec3(0, 60, 0), Vec3.Zero);
        pushed.Step(400);
        Assert.True(pushed.JointPosition(hipRoll) > free.JointPosition(hipRoll) + 0.02,
            $"hip roll {pushed.JointPosition(hipRoll)} vs {free.JointPosition(hipRoll)} without the push");
        pushed.ClearExternalWrenches();
        var v0 = pushed.JointVelocity(hipRoll);
        pushed.Step(400);
        Assert.True(pushed.JointVelocity(hipRoll) < v0, "without the push, gravity and damping slow the leg");
    }

    [Fact]
    public void Obstacle_moved_into_a_legs_path_blocks_the_swing()
    {
        double Swing(bool blocked)
        {
            using var plant = LoadPlant();
            int hip = BenchFixtures.JointIndex("l_hip_pitch");
            if (blocked)
            {
                // Box (half size 0.05) just in front (+x) of the left shank's middle: hip y = 0.1, shank mid ≈ 0.76 m below the pelvis.
                plant.MoveObstacle(0, new Vec3(0.13, 0.1, plant.RootHeightM - 0.76));
            }
            var c = new double[12];
            plant.Bias(new double[12], new double[12], c);
            for (int k = 0; k < 12; k++) plant.SetJointTorque(k, c[k]);
            plant.SetJointTorque(hip, c[hip] - 30); // negative hip pitch swings the foot forward (+x)
            Assert.True(plant.Step(800), plant.LastError);
            return plant.JointPosition(hip);
        }
        double free = Swing(false), blocked = Swing(true);
        Assert.True(free < -0.3, $"free swing reached {free}");
        Assert.True(blocked > free + 0.2, $"blocked swing reached {blocked}, free {free}");
    }

    [Fact]
    public void The_obstacles_touch_sensor_reads_the_leg_pushing_on_it_and_zero_while_parked()
    {
        // Written for a 10 cm cube, on which the leg comes to rest leaning; at the same place the default 4 cm slab
        // does not keep it in contact (checked), so this test keeps the cube.
        using var plant = LoadPlant(obstacleHalfDepthM: 0.05);
        int hip = BenchFixtures.JointIndex("l_hip_pitch");
        var c = new double[12];
        plant.Bias(new double[12], new double[12], c);
        for (int k = 0; k < 12; k++) plant.SetJointTorque(k, c[k]);
        plant.SetJointTorque(hip, c[hip] - 30);
        Assert.True(plant.Step(100), plant.LastError);
        Assert.Equal(0, plant.ObstacleContactForceN(0)); // parked out of reach: no contact
        plant.MoveObstacle(0, new Vec3(0.13, 0.1, plant.RootHeightM - 0.76));
        double peak = 0;
        for (int i = 0; i < 700; i++)
        {
            Assert.True(plant.Step(1), plant.LastError);
            peak = Math.Max(peak, plant.ObstacleContactForceN(0));
        }
        // The shank leans on the box with the hip's 30 N·m: tens of newtons at a lever of about 0.4–0.8 m.
        Assert.True(peak > 10, $"peak contact force {peak} N");
        Assert.True(plant.ObstacleContactForceN(0) > 0, "still leaning on the box");

        // Checked against Newton, not against the function's own sums: at any state M(q)q̈ + c(q, q̇) is what the drives
        // apply, the joints' damping and the constraints give; the box's joint torques are the constraints less the joints'
        // friction loss (≤ 0.4 N·m in biped12; no limit is reached here). The leg is still moving as it folds under the
        // box (measured: hip pitch −1.8 rad/s, knee 4.4 rad/s, 108 N·m from the box on the hip), so this is a dynamic check.
        var q = new double[12];
        var qd = new double[12];
        plant.GetJointPositions(q);
        plant.GetJointVelocities(qd);
        plant.SetJointState(q, qd); // contacts, constraint forces and q̈ all at this one state
        var qdd = new double[12];
        plant.GetJointAccelerations(qdd);
        var id = new double[12];
        plant.InverseDynamics(q, qd, qdd, id);
        var box = new double[12];
        Assert.True(plant.ObstacleContactTorque(0, box) > 0, "the box touches the leg");
        double largest = 0;
        for (int k = 0; k < 12; k++)
        {
            double applied = k == hip ? c[k] - 30 : c[k];
            double damping = -plant.GetJointDamping(k) * qd[k];
            double rest = id[k] - applied - damping - box[k];
            Assert.True(Math.Abs(rest) <= 0.45, $"joint {k}: M q̈ + c − applied − damping − box = {rest:F3} N·m (box {box[k]:F2})");
            largest = Math.Max(largest, Math.Abs(box[k]));
        }
        Assert.True(largest > 10, $"the box's largest joint torque is {largest:F2} N·m");
    }

    [Fact]
    public void Contact_free_steps_skip_collision_detection_and_the_trajectory_stays_bit_identical()
    {
        // A swing that runs free for a while, then an obstacle appears in the leg's path and stops it: the shortcut
        // must skip collision while nothing can touch, run it once the box is near, and change no bit either way.
        (long[] Bits, long Skipped, long Steps) Run(bool shortcut)
        {
            using var plant = LoadPlant();
            Assert.True(plant.ContactShortcut, "the biped on its stand qualifies for the contact shortcut");
            plant.ContactShortcut = shortcut;
            int hip = BenchFixtures.JointIndex("l_hip_pitch");
            var c = new double[12];
            plant.Bias(new double[12], new double[12], c);
            var bits = new List<long>();
            for (int step = 0; step < 1200; step++)
            {
                if (step == 400) plant.MoveObstacle(0, new Vec3(0.13, 0.1, plant.RootHeightM - 0.76));
                for (int k = 0; k < 12; k++) plant.SetJointTorque(k, c[k] + (k == hip ? -30 : 0));
                Assert.True(plant.Step(1), plant.LastError);
                for (int k = 0; k < 12; k++)
                {
                    bits.Add(BitConverter.DoubleToInt64Bits(plant.JointPosition(k)));
                    bits.Add(BitConverter.DoubleToInt64Bits(plant.JointVelocity(k)));
                }
            }
            return ([.. bits], plant.ContactFreeSteps, 1200);
        }
        var full = Run(shortcut: false);
        var fast = Run(shortcut: true);
        Assert.Equal(0, full.Skipped);
        Assert.True(fast.Skipped >= 350, $"only {fast.Skipped} of the 400 free steps skipped collision");
        Assert.True(fast.Skipped < 1100, $"{fast.Skipped} of {fast.Steps} steps skipped: the shortcut missed the obstacle's contact");
        Assert.Equal(full.Bits, fast.Bits);
    }

    [Fact]
    public void Link_world_positions_follow_the_urdf_chain_from_the_raised_root()
    {
        using var plant = LoadPlant();
        var pelvis = plant.LinkWorldPosition(plant.LinkIndex("pelvis"));
        var ankle = plant.LinkWorldPosition(plant.LinkIndex("l_ankle_link"));
        Assert.Equal(plant.RootHeightM, pelvis.Z, 12);
        // pelvis → hip yaw (0, 0.1, −0.05) → roll (−0.06) → pitch (−0.05) → knee (−0.4) → ankle (−0.4)
        Assert.Equal(0.1, ankle.Y, 9);
        Assert.Equal(plant.RootHeightM - 0.96, ankle.Z, 9);
    }

    [Fact]
    public void Parameters_can_be_changed_for_randomisation()
    {
        using var plant = LoadPlant();
        double m0 = plant.GetLinkMass("l_thigh");
        Assert.Equal(4.0, m0, 9);
        var q = new double[12];
        var c0 = new double[12];
        int hip = BenchFixtures.JointIndex("l_hip_pitch");
        q[hip] = 0.5;
        plant.Bias(q, new double[12], c0);
        plant.SetLinkMass("l_thigh", 6.0);
        Assert.Equal(6.0, plant.GetLinkMass("l_thigh"), 9);
        var c1 = new double[12];
        plant.Bias(q, new double[12], c1);
        Assert.True(Math.Abs(c1[hip]) > Math.Abs(c0[hip]), "a heavier thigh needs more gravity torque");
        plant.SetJointDamping(hip, 2.5);
        Assert.Equal(2.5, plant.GetJointDamping(hip));
        plant.SetJointFrictionLoss(hip, 1.5);
        Assert.Equal(1.5, plant.GetJointFrictionLoss(hip));
        plant.SetJointArmature(hip, 0.01);
        Assert.Equal(0.01, plant.GetJointArmature(hip));
        plant.SetLinkFriction("l_foot", 0.4);
        var inertia = plant.GetLinkInertia("l_thigh");
        plant.SetLinkInertia("l_thigh", new Vec3(inertia.X * 2, inertia.Y * 2, inertia.Z * 2));
        Assert.Equal(inertia.X * 2, plant.GetLinkInertia("l_thigh").X, 12);
    }

    [Fact]
    public void Configured_armature_adds_to_the_mass_matrix_diagonal_only()
    {
        using var plain = LoadPlant();
        using var geared = MujocoPlant.Load(BenchFixtures.Robot, new PlantOptions
        {
            JointOrder = BenchFixtures.Config.Joints.Select(j => j.Name).ToArray(),
            ArmatureKgM2 = new Dictionary<string, double> { ["l_knee"] = 0.08 },
        });
        int knee = BenchFixtures.JointIndex("l_knee");
        Assert.Equal(0.08, geared.GetJointArmature(knee));
        var q = new double[12];
        q[knee] = 0.4;
        var m0 = new double[144];
        var m1 = new double[144];
        plain.MassMatrix(q, m0);
        geared.MassMatrix(q, m1);
        for (int k = 0; k < 144; k++)
            Assert.Equal(m0[k] + (k == knee * 12 + knee ? 0.08 : 0), m1[k], 12);
        // and inverse dynamics agrees with M q̈ + c including it
        var qdd = new double[12];
        qdd[knee] = 2;
        var tau0 = new double[12];
        var tau1 = new double[12];
        plain.InverseDynamics(q, new double[12], qdd, tau0);
        geared.InverseDynamics(q, new double[12], qdd, tau1);
        Assert.Equal(tau0[knee] + 0.16, tau1[knee], 12);
    }

    [Fact]
    public void Urdf_damping_and_friction_reach_the_plant()
    {
        using var plant = LoadPlant();
        int hip = BenchFixtures.JointIndex("l_hip_pitch");
        var urdf = BenchFixtures.Robot.FindJoint("l_hip_pitch")!.Dynamics!;
        Assert.Equal(urdf.Damping, plant.GetJointDamping(hip));
        Assert.Equal(urdf.Friction, plant.GetJointFrictionLoss(hip));
    }

    [Fact]
    public void Step_allocates_nothing()
    {
        using var plant = LoadPlant();
        var q = new double[12]; var qd = new double[12]; var tau = new double[12]; var m = new double[144];
        for (int k = 0; k < 200; k++) Work(plant, q, qd, tau, m);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 2000; k++) Work(plant, q, qd, tau, m);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);

        static void Work(MujocoPlant p, double[] q, double[] qd, double[] tau, double[] m)
        {
            for (int i = 0; i < 12; i++) p.SetJointTorque(i, 0.1);
            p.Step(1);
            p.GetJointPositions(q);
            p.GetJointVelocities(qd);
            p.ReadImu(0, out _, out _);
            p.InverseDynamics(q, qd, qd, tau);
            p.MassMatrix(q, m);
            p.ApplyExternalWrench(1, new Vec3(0, 0, 0), new Vec3(0, 0, 0));
            p.MoveObstacle(0, new Vec3(5, 5, 0.05));
        }
    }

    [Fact]
    public void An_imu_on_an_unknown_link_is_an_input_error()
    {
        var bad = new ImuConfig { Name = "lost", Link = "no_such_link" };
        var e = Assert.Throws<InputError>(() => MjcfWriter.Write(BenchFixtures.Robot, new PlantOptions { Imus = [bad] }));
        Assert.Contains("no_such_link", e.Message);
    }

    [Fact]
    public void A_joint_order_naming_an_unknown_joint_is_an_input_error()
    {
        var e = Assert.Throws<InputError>(() => MujocoPlant.Load(BenchFixtures.Robot, new PlantOptions { JointOrder = ["l_knee", "elbow"] }));
        Assert.Contains("elbow", e.Message);
    }
}
