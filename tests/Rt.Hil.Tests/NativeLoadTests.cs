using Rt.Hil.Plant;

namespace Rt.Hil.Tests;

public class NativeLoadTests
{
    [Fact]
    public void A_missing_shim_gives_one_clear_message_not_a_loader_stack_trace()
    {
        var e = Assert.Throws<BenchUnavailableException>(() =>
            MujocoPlant.Load(BenchFixtures.Robot, new PlantOptions { ShimPath = "/nonexistent/librtmujoco.so" }));
        Assert.StartsWith("MuJoCo 2.2.2 not found: install Debian libmujoco-dev", e.Message);
        Assert.Contains("/nonexistent/librtmujoco.so", e.Message);
    }

    [Fact]
    public void A_shim_that_cannot_be_loaded_gives_the_same_clear_message()
    {
        string dir = Directory.CreateTempSubdirectory("rt-hil-shim-").FullName;
        try
        {
            string fake = Path.Combine(dir, "librtmujoco.so");
            File.WriteAllBytes(fake, [0x7F, (byte)'E', (byte)'L', (byte)'F', 0, 0, 0, 0]); // truncated ELF: dlopen fails
            var e = Assert.Throws<BenchUnavailableException>(() =>
                Bench.Create(BenchFixtures.Config, new BenchOptions { ShimPath = fake }));
            Assert.StartsWith("MuJoCo 2.2.2 not found: install Debian libmujoco-dev", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_shim_next_to_the_tests_is_built_against_mujoco_2_2_2()
    {
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "librtmujoco.so")), "the Rt.Hil build copies librtmujoco.so next to its dependents");
        using var plant = MujocoPlant.Load(BenchFixtures.Robot);
        Assert.Equal(12, plant.JointCount);
    }
}
