using Rt.Core.Description;
using Rt.Core.Errors;

namespace Rt.Fuzz.Targets;

/// <summary>
/// The URDF parser (src/Rt.Core/Description/UrdfParser.cs). Input: URDF file bytes. Documented outcome for a bad
/// description: <see cref="InputError"/> naming line, element and attribute.
/// </summary>
internal static class UrdfTarget
{
    public static FuzzTarget Create() => new("urdf", "URDF robot descriptions (UrdfParser)", Run, [typeof(InputError)], Seeds);

    private static void Run(ReadOnlySpan<byte> input)
    {
        var robot = UrdfParser.Parse(TextInput.Decode(input), "/fuzz/robot.urdf");
        _ = robot.ToString();
    }

    private static IEnumerable<(string, byte[])> Seeds()
    {
        foreach (var s in TextInput.RepoFiles("hil/robots", "*.urdf")) yield return s;
        yield return ("two-links", """
            <robot name="r">
              <link name="base"><inertial><mass value="1"/><inertia ixx="0.1" iyy="0.1" izz="0.1" ixy="0" ixz="0" iyz="0"/></inertial></link>
              <link name="arm"><inertial><origin xyz="0 0 0.1" rpy="0 0 0"/><mass value="0.5"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial></link>
              <joint name="j1" type="revolute"><parent link="base"/><child link="arm"/><origin xyz="0 0 0.2" rpy="0 0 0"/><axis xyz="0 0 1"/><limit lower="-1" upper="1" effort="10" velocity="2"/></joint>
            </robot>
            """u8.ToArray());
    }
}
