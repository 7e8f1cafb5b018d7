using Rt.Twin.Models;

namespace Rt.Twin.Tests;

/// <summary>
/// The held joint's position (stick-slip, issue 13 item 5): a joint held by static friction stays where it is plus its
/// creep, the mean position change per tick; chatter that reverses every tick does not move that prediction.
/// </summary>
public sealed class ServoModelHeldTests
{
    private const double Dt = 0.001;

    private static ServoModel Model() => new([new ServoParameters(168.6, 1.118, 1, 1, 1, 0.2, 0.4)], Dt);

    [Fact]
    public void A_steady_creep_is_predicted_and_chatter_is_not()
    {
        var servo = Model();
        var q = new double[1];
        // A slip of 15 µrad per tick (15 mrad/s: inside the stiction band) for 100 ticks.
        for (int k = 0; k < 100; k++)
        {
            q[0] = 0.3 + 15e-6 * k;
            servo.TrackCreep(q, continued: k > 0);
        }
        Assert.Equal(15e-6, servo.Creep(0), 9);
        Assert.Equal(q[0] + 15e-6, servo.HeldPosition(0, q[0]), 9);

        // Chatter: ±20 µrad every tick around a fixed point. The creep estimate decays to (nearly) nothing: the held
        // prediction stays at the joint's position, whatever the velocity sample says.
        for (int k = 0; k < 200; k++)
        {
            q[0] = 0.3015 + (k % 2 == 0 ? 20e-6 : -20e-6);
            servo.TrackCreep(q, continued: true);
        }
        Assert.InRange(Math.Abs(servo.Creep(0)), 0, 2.2e-6); // a·40 µrad/(2 − a) ≈ 2.1 µrad of the alternation remains
    }

    [Fact]
    public void A_gap_or_a_reset_restarts_the_creep_from_the_next_position()
    {
        var servo = Model();
        var q = new double[1];
        for (int k = 0; k < 50; k++)
        {
            q[0] = 1e-5 * k;
            servo.TrackCreep(q, continued: k > 0);
        }
        Assert.True(servo.Creep(0) > 5e-6);
        // The first fresh tick after a gap: its position change spans the gap, it is not a creep.
        q[0] = 0.01;
        servo.TrackCreep(q, continued: false);
        Assert.Equal(0, servo.Creep(0));
        q[0] = 0.01 + 1e-5;
        servo.TrackCreep(q, continued: true);
        Assert.Equal(1e-6, servo.Creep(0), 12);
        servo.Reset();
        servo.TrackCreep(q, continued: true); // after a reset nothing precedes this tick
        Assert.Equal(0, servo.Creep(0));
        q[0] = double.NaN; // a bad sample leaves the estimate alone
        servo.TrackCreep(q, continued: true);
        Assert.Equal(0, servo.Creep(0));
    }
}
