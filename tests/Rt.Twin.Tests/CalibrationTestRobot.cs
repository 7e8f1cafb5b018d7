namespace Rt.Twin.Tests;

/// <summary>A small fixed-base leg (hip yaw, hip pitch, knee) for the parameter-file and calibration tests.</summary>
internal static class CalibrationTestRobot
{
    public const string Urdf = """
        <?xml version="1.0"?>
        <robot name="leg3">
          <link name="pelvis">
            <inertial><origin xyz="0 0 0" rpy="0 0 0"/><mass value="5"/><inertia ixx="0.05" ixy="0" ixz="0" iyy="0.05" iyz="0" izz="0.05"/></inertial>
          </link>
          <link name="hip">
            <inertial><origin xyz="0.02 0.01 -0.05" rpy="0 0 0"/><mass value="1.5"/><inertia ixx="0.004" ixy="0.0001" ixz="0" iyy="0.005" iyz="0" izz="0.003"/></inertial>
          </link>
          <link name="thigh">
            <inertial><origin xyz="0.01 0.02 -0.18" rpy="0 0 0"/><mass value="4"/><inertia ixx="0.06" ixy="0" ixz="0.002" iyy="0.055" iyz="0" izz="0.01"/></inertial>
          </link>
          <link name="shin">
            <inertial><origin xyz="0.015 -0.01 -0.2" rpy="0 0 0"/><mass value="2.5"/><inertia ixx="0.03" ixy="0" ixz="0" iyy="0.028" iyz="0.001" izz="0.006"/></inertial>
          </link>
          <joint name="hip_yaw" type="revolute">
            <parent link="pelvis"/><child link="hip"/><origin xyz="0 0.1 -0.05" rpy="0 0 0"/><axis xyz="0 0 1"/>
            <limit lower="-1" upper="1" effort="100" velocity="10"/>
          </joint>
          <joint name="hip_pitch" type="revolute">
            <parent link="hip"/><child link="thigh"/><origin xyz="0 0 -0.1" rpy="0 0 0"/><axis xyz="0 1 0"/>
            <limit lower="-2" upper="2" effort="200" velocity="10"/>
          </joint>
          <joint name="knee" type="revolute">
            <parent link="thigh"/><child link="shin"/><origin xyz="0 0 -0.4" rpy="0 0 0"/><axis xyz="0 1 0"/>
            <limit lower="-0.1" upper="2.5" effort="200" velocity="10"/>
          </joint>
        </robot>
        """;
}
