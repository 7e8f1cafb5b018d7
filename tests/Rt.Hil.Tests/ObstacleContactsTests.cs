using Rt.Core.Description;
using Rt.Hil.Plant;

namespace Rt.Hil.Tests;

/// <summary>
/// <see cref="MujocoPlant.ObstacleContacts"/>: which links the obstacle box touches, per link, from MuJoCo's contacts (the
/// physical truth the campaign scores isolation against, issue 13).
/// </summary>
public class ObstacleContactsTests
{
    private const double Overlap = 0.002; // m: the box starts 2 mm into the struck face, as the bench places it

    private static MujocoPlant Load(double? obstacleHalfDepthM = null)
    {
        try
        {
            return MujocoPlant.Load(BenchFixtures.Robot, new PlantOptions
            {
                JointOrder = BenchFixtures.Config.Joints.Select(j => j.Name).ToArray(),
                Imus = BenchFixtures.Config.Imus,
                ObstacleHalfDepthM = obstacleHalfDepthM ?? new PlantOptions().ObstacleHalfDepthM,
            });
        }
        catch (BenchUnavailableException e)
        {
            Skip.If(true, e.Message);
            throw;
        }
    }

    [SkippableFact]
    public void The_box_against_the_right_foot_reports_the_right_foot_with_the_touch_sensors_force_and_no_far_link()
    {
        using var plant = Load();
        Assert.True(plant.Step(1), plant.LastError); // kinematics
        var links = new int[plant.LinkIndexCount];
        var forces = new double[plant.LinkIndexCount];
        Assert.Equal(0, plant.ObstacleContacts(0, links, forces)); // parked out of reach

        int foot = plant.LinkIndex("r_foot");
        var plate = new CollisionShape[1];
        Assert.Equal(1, plant.LinkShapes(foot, plate));
        plant.MoveObstacle(0, ObstaclePlacement.ObstacleCentre(plate[0], new Vec3(1, 0, 0), plant.ObstacleHalfDepthM, Overlap), Quat.Identity);
        Assert.True(plant.Step(1), plant.LastError);

        int n = plant.ObstacleContacts(0, links, forces);
        Assert.Equal(1, n);
        Assert.Equal(foot, links[0]);
        Assert.Equal("r_foot", plant.LinkName(links[0]));
        Assert.True(forces[0] > 0, $"r_foot pushes with {forces[0]} N");
        // The same contacts as the box's touch sensor (its zone holds every contact point on the faces).
        Assert.Equal(plant.ObstacleContactForceN(0), forces[0], 6);
        Assert.Null(plant.LinkName(0)); // the world (floor) is not a link
        Assert.DoesNotContain(plant.LinkIndex("l_foot"), links.AsSpan(0, n).ToArray());
    }

    [SkippableTheory]
    [InlineData(null, new[] { "l_thigh" })]
    [InlineData(0.05, new[] { "l_thigh", "r_thigh" })] // the 10 cm cube the bench used before: it reached the other thigh
    public void An_obstacle_struck_by_a_thigh_swinging_inwards_touches_that_thigh_only(double? halfDepth, string[] expected)
    {
        // iso-obstacle-left-thigh's placement: the left thigh moving towards −y, the box between the legs.
        using var plant = Load(halfDepth);
        Assert.True(plant.Step(1), plant.LastError);
        int thigh = plant.LinkIndex("l_thigh");
        var shapes = new CollisionShape[plant.LinkShapeCount(thigh)];
        int k = plant.LinkShapes(thigh, shapes);
        var d = new Vec3(0, -1, 0);
        int lead = ObstaclePlacement.Leading(shapes.AsSpan(0, k), d);
        Assert.True(lead >= 0);
        plant.MoveObstacle(0, ObstaclePlacement.ObstacleCentre(shapes[lead], d, plant.ObstacleHalfDepthM, Overlap), ObstaclePlacement.FacingAlong(d));
        Assert.True(plant.Step(1), plant.LastError);

        var links = new int[plant.LinkIndexCount];
        var forces = new double[plant.LinkIndexCount];
        int n = plant.ObstacleContacts(0, links, forces);
        var touched = links.AsSpan(0, n).ToArray().Select(l => plant.LinkName(l)!).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, touched);
    }

    [SkippableFact]
    public void Spans_too_short_still_count_every_touching_link()
    {
        using var plant = Load();
        Assert.True(plant.Step(1), plant.LastError);
        int shin = plant.LinkIndex("l_shin");
        var shapes = new CollisionShape[plant.LinkShapeCount(shin)];
        int k = plant.LinkShapes(shin, shapes);
        Assert.True(k > 0);
        int lead = ObstaclePlacement.Leading(shapes.AsSpan(0, k), new Vec3(1, 0, 0));
        plant.MoveObstacle(0, ObstaclePlacement.ObstacleCentre(shapes[lead], new Vec3(1, 0, 0), plant.ObstacleHalfDepthM, Overlap), Quat.Identity);
        Assert.True(plant.Step(1), plant.LastError);

        // No room: nothing written, but the count says one link touches (a loss is visible, never silent).
        Assert.Equal(1, plant.ObstacleContacts(0, Span<int>.Empty, Span<double>.Empty));
        var links = new int[plant.LinkIndexCount];
        var forces = new double[plant.LinkIndexCount];
        Assert.Equal(1, plant.ObstacleContacts(0, links, forces));
        Assert.Equal("l_shin", plant.LinkName(links[0]));
    }
}
