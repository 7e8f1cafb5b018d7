using System.Runtime.InteropServices;
using Rt.Hil.Plant;

namespace Rt.Hil.Tests;

/// <summary>The shim must turn MuJoCo's fatal errors (which would exit() the host) into error codes and messages.</summary>
public unsafe class ShimErrorTests
{
    [Fact]
    public void A_mujoco_error_inside_a_step_returns_an_error_code_instead_of_exiting_the_process()
    {
        MuJoCoNative.EnsureLoaded(null);
        // A stack big enough to compile but too small for the contact solver (two overlapping boxes on a floor):
        // mj_step raises mju_error("Stack overflow"), which by default would exit() the process.
        const string xml = """
            <mujoco>
              <size nstack="760"/>
              <worldbody>
                <geom type="plane" size="1 1 0.1"/>
                <body pos="0 0 0.05"><freejoint/><geom type="box" size="0.1 0.1 0.1"/></body>
                <body pos="0.05 0 0.1"><freejoint/><geom type="box" size="0.1 0.1 0.1"/></body>
              </worldbody>
            </mujoco>
            """;
        string path = Path.Combine(Path.GetTempPath(), $"rt-hil-stack-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, xml);
        try
        {
            byte* err = stackalloc byte[1024];
            nint h = MuJoCoNative.rtmj_load(path, err, 1024);
            if (h == 0)
            {
                // MuJoCo already failed while making the data: the guard around loading reported it.
                Assert.Fail($"the model should load and fail only while stepping; load said: {Marshal.PtrToStringUTF8((nint)err)}");
            }
            try
            {
                int status = MuJoCoNative.rtmj_step(h, 10);
                Assert.Equal(-2, status); // RTMJ_ERR_MUJOCO
                Assert.Contains("MuJoCo error", MuJoCoNative.LastError(h));
                Assert.Equal(-3, MuJoCoNative.rtmj_step(h, 1)); // RTMJ_ERR_BROKEN: refuses further work
            }
            finally
            {
                MuJoCoNative.rtmj_free(h);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_model_mujoco_rejects_gives_its_parse_message()
    {
        MuJoCoNative.EnsureLoaded(null);
        string path = Path.Combine(Path.GetTempPath(), $"rt-hil-bad-{Guid.NewGuid():N}.xml");
        File.WriteAllText(path, "<mujoco><worldbody><body><joint type=\"warp\"/></body></worldbody></mujoco>");
        try
        {
            byte* err = stackalloc byte[1024];
            Assert.Equal(0, MuJoCoNative.rtmj_load(path, err, 1024));
            Assert.Contains("warp", Marshal.PtrToStringUTF8((nint)err));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
