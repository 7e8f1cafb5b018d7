using Rt.Core.Description;
using Rt.Core.Errors;

namespace Rt.Core.Tests.Description;

/// <summary>
/// Each rejection rule of the URDF reader, on a small two-joint arm: one edit breaks one rule, and the message must
/// name the file, the line, the element and (where there is one) the attribute.
/// </summary>
public sealed class UrdfParserTests
{
    private const string Source = "/robots/arm2.urdf";

    // Line numbers in the assertions below refer to this text (line 1 is the XML declaration).
    private const string Arm = """
        <?xml version="1.0"?>
        <robot name="arm2">
          <link name="base">
            <inertial>
              <origin xyz="0 0 0.05" rpy="0 0 0"/>
              <mass value="2"/>
              <inertia ixx="0.01" ixy="0" ixz="0" iyy="0.01" iyz="0" izz="0.01"/>
            </inertial>
          </link>
          <link name="upper">
            <inertial>
              <mass value="1"/>
              <inertia ixx="0.02" ixy="0.001" ixz="0" iyy="0.02" iyz="0" izz="0.002"/>
            </inertial>
            <collision>
              <origin xyz="0 0 0.15"/>
              <geometry><cylinder radius="0.03" length="0.3"/></geometry>
            </collision>
          </link>
          <link name="lower">
            <inertial>
              <mass value="0.5"/>
              <inertia ixx="0.005" ixy="0" ixz="0" iyy="0.005" iyz="0" izz="0.001"/>
            </inertial>
          </link>
          <joint name="shoulder" type="revolute">
            <parent link="base"/>
            <child link="upper"/>
            <origin xyz="0 0 0.1" rpy="0 0 0"/>
            <axis xyz="0 2 0"/>
            <limit lower="-1" upper="1" effort="20" velocity="3"/>
            <dynamics damping="0.1" friction="0.05"/>
          </joint>
          <joint name="elbow" type="continuous">
            <parent link="upper"/>
            <child link="lower"/>
            <origin xyz="0 0 0.3"/>
            <axis xyz="0 1 0"/>
          </joint>
        </robot>
        """;

    private static InputError Reject(string xml)
    {
        var error = Assert.Throws<InputError>(() => UrdfParser.Parse(xml, Source));
        Assert.Equal(Source, error.Source_);
        Assert.StartsWith(Source + ": ", error.Message, StringComparison.Ordinal);
        return error;
    }

    private static InputError Reject(string oldText, string newText)
    {
        Assert.Contains(oldText, Arm, StringComparison.Ordinal); // the edit must really change the file
        return Reject(Arm.Replace(oldText, newText, StringComparison.Ordinal));
    }

    private static void AssertMentions(InputError error, params string[] fragments)
    {
        foreach (var fragment in fragments) Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_arm_parses_with_defaults_and_a_normalised_axis()
    {
        var robot = UrdfParser.Parse(Arm, Source);
        Assert.Equal("arm2", robot.Name);
        Assert.Equal("base", robot.RootLink);
        Assert.Equal(["shoulder", "elbow"], robot.MovableJoints.Select(j => j.Name).ToArray());
        var shoulder = robot.FindJoint("shoulder")!;
        Assert.Equal(new Vec3(0, 1, 0), shoulder.Axis);
        Assert.Equal(new JointLimits(-1, 1, 20, 3), shoulder.Limits);
        Assert.Equal(new JointDynamics(0.1, 0.05), shoulder.Dynamics);
        var elbow = robot.FindJoint("elbow")!;
        Assert.Equal(JointType.Continuous, elbow.Type);
        Assert.Null(elbow.Limits);
        Assert.Null(elbow.Dynamics);
        Assert.Equal(Vec3.Zero, elbow.Origin.Rpy);
        Assert.Equal(Pose.Identity, robot.GetLink("lower").Inertial!.Origin);
        var collision = Assert.Single(robot.GetLink("upper").Collisions);
        Assert.Equal(new CylinderGeometry(0.03, 0.3), collision.Shape);
        Assert.Empty(robot.GetLink("upper").Visuals);
    }

    [Fact]
    public void A_continuous_joint_limit_has_no_position_bounds()
    {
        var robot = UrdfParser.Parse(Arm.Replace("""<axis xyz="0 1 0"/>""", """<axis xyz="0 1 0"/><limit effort="5" velocity="6"/>""", StringComparison.Ordinal), Source);
        var limits = robot.FindJoint("elbow")!.Limits!;
        Assert.Equal(double.NegativeInfinity, limits.Lower);
        Assert.Equal(double.PositiveInfinity, limits.Upper);
        Assert.Equal(5, limits.Effort);
    }

    [Fact]
    public void Malformed_xml_is_rejected_with_its_line()
    {
        var e = Reject("""<child link="lower"/>""", """<child link="lower">""");
        AssertMentions(e, "malformed XML", "line 39");
    }

    [Fact]
    public void A_root_element_other_than_robot_is_rejected()
    {
        var e = Reject(Arm.Replace("<robot name=\"arm2\">", "<model name=\"arm2\">", StringComparison.Ordinal).Replace("</robot>", "</model>", StringComparison.Ordinal));
        AssertMentions(e, "line 2", "<model", "expected <robot");
    }

    [Fact]
    public void A_robot_without_a_name_is_rejected() =>
        AssertMentions(Reject("<robot name=\"arm2\">", "<robot>"), "line 2", "<robot>", "no 'name' attribute");

    [Fact]
    public void A_link_without_a_name_is_rejected() =>
        AssertMentions(Reject("<link name=\"lower\">", "<link>"), "line 20", "<link>", "no 'name' attribute");

    [Fact]
    public void An_empty_joint_name_is_rejected() =>
        AssertMentions(Reject("<joint name=\"elbow\"", "<joint name=\"\""), "line 34", "attribute 'name'", "name is empty");

    [Fact]
    public void Duplicate_link_names_are_rejected() =>
        AssertMentions(Reject("<link name=\"lower\">", "<link name=\"upper\">"), "line 20", "duplicate link name 'upper'", "first defined at line 10");

    [Fact]
    public void Duplicate_joint_names_are_rejected() =>
        AssertMentions(Reject("<joint name=\"elbow\"", "<joint name=\"shoulder\""), "line 34", "duplicate joint name 'shoulder'", "first defined at line 26");

    [Fact]
    public void A_joint_to_an_unknown_link_is_rejected() =>
        AssertMentions(Reject("<child link=\"lower\"/>", "<child link=\"forearm\"/>"),
            "line 36", "<child> in joint 'elbow'", "attribute 'link'", "child link 'forearm' is not defined");

    [Fact]
    public void A_joint_without_a_parent_element_is_rejected() =>
        AssertMentions(Reject("<parent link=\"upper\"/>", ""), "line 34", "<joint name='elbow'>", "no <parent> element");

    [Fact]
    public void A_link_with_two_parents_is_rejected() =>
        AssertMentions(Reject("<parent link=\"upper\"/>\n    <child link=\"lower\"/>", "<parent link=\"base\"/>\n    <child link=\"upper\"/>"),
            "line 36", "link 'upper' already has parent joint 'shoulder'", "only one parent");

    [Fact]
    public void A_joint_from_a_link_to_itself_is_rejected() =>
        AssertMentions(Reject("<child link=\"lower\"/>", "<child link=\"upper\"/>"), "line 36", "to itself");

    [Fact]
    public void A_cycle_is_rejected_naming_its_joints() =>
        AssertMentions(Reject("<parent link=\"base\"/>", "<parent link=\"lower\"/>"), "form a cycle", "'shoulder'", "'elbow'", "must be a tree");

    [Fact]
    public void More_than_one_root_is_rejected() =>
        AssertMentions(Reject("</robot>", "  <link name=\"tool\"/>\n</robot>"), "line 40", "more than one root link ('base', 'tool')");

    [Theory]
    [InlineData("floating")]
    [InlineData("planar")]
    public void Floating_and_planar_joints_are_rejected_with_a_reason(string type) =>
        AssertMentions(Reject("type=\"continuous\"", $"type=\"{type}\""), "line 34", "attribute 'type'", $"joint type '{type}' is not supported");

    [Fact]
    public void An_unknown_joint_type_is_rejected() =>
        AssertMentions(Reject("type=\"continuous\"", "type=\"ball\""), "line 34", "unknown joint type 'ball'", "expected revolute, continuous, prismatic or fixed");

    [Fact]
    public void A_joint_without_a_type_is_rejected() =>
        AssertMentions(Reject(" type=\"continuous\"", ""), "line 34", "missing attribute 'type'");

    [Fact]
    public void A_non_numeric_attribute_is_rejected() =>
        AssertMentions(Reject("effort=\"20\"", "effort=\"twenty\""),
            "line 31", "<limit> in joint 'shoulder'", "attribute 'effort'", "'twenty' is not a number");

    [Theory]
    [InlineData("velocity=\"3\"", "velocity=\"NaN\"", "line 31", "attribute 'velocity'")]
    [InlineData("xyz=\"0 0 0.3\"", "xyz=\"0 0 Infinity\"", "line 37", "attribute 'xyz'")]
    [InlineData("<mass value=\"1\"/>", "<mass value=\"-Infinity\"/>", "line 12", "attribute 'value'")]
    public void NaN_and_infinity_are_rejected(string oldText, string newText, string line, string attribute) =>
        AssertMentions(Reject(oldText, newText), line, attribute, "not finite");

    [Theory]
    [InlineData("effort=\"20\"", "effort=\"1e308\"", "attribute 'effort'", "(0, 100000]")]
    [InlineData("velocity=\"3\"", "velocity=\"5000\"", "attribute 'velocity'", "(0, 1000]")]
    [InlineData("upper=\"1\"", "upper=\"1e308\"", "attribute 'upper'", "[-1000, 1000]")]
    [InlineData("<mass value=\"1\"/>", "<mass value=\"1e9\"/>", "attribute 'value'", "(0, 10000] kg")]
    public void Limits_and_masses_beyond_plausible_bounds_are_rejected(string oldText, string newText, string attribute, string range) =>
        AssertMentions(Reject(oldText, newText), attribute, range);

    [Theory]
    [InlineData("rpy=\"0 0 0\"/>\n    <axis", "rpy=\"0 0\"/>\n    <axis", "line 29", "attribute 'rpy'", "2 component(s)")]
    [InlineData("<axis xyz=\"0 1 0\"/>", "<axis xyz=\"0 1 0 0\"/>", "line 38", "attribute 'xyz'", "more than 3 components")]
    [InlineData("<origin xyz=\"0 0 0.15\"/>", "<origin xyz=\"0.15\"/>", "line 16", "attribute 'xyz'", "1 component(s)")]
    public void Vectors_must_have_three_components(string oldText, string newText, string line, string attribute, string count) =>
        AssertMentions(Reject(oldText, newText), line, attribute, count, "expected exactly 3 numbers");

    [Fact]
    public void A_zero_axis_is_rejected() =>
        AssertMentions(Reject("<axis xyz=\"0 2 0\"/>", "<axis xyz=\"0 0 0\"/>"), "line 30", "<axis> in joint 'shoulder'", "the axis is zero");

    [Fact]
    public void A_revolute_joint_without_limits_is_rejected() =>
        AssertMentions(Reject("    <limit lower=\"-1\" upper=\"1\" effort=\"20\" velocity=\"3\"/>\n", ""), "line 26", "<joint name='shoulder'>", "needs <limit");

    [Fact]
    public void A_limit_without_effort_is_rejected() =>
        AssertMentions(Reject(" effort=\"20\"", ""), "line 31", "<limit> in joint 'shoulder'", "missing attribute 'effort'");

    [Fact]
    public void Lower_above_upper_is_rejected() =>
        AssertMentions(Reject("lower=\"-1\" upper=\"1\"", "lower=\"1\" upper=\"-1\""), "line 31", "lower (1) is above upper (-1)");

    [Fact]
    public void A_non_positive_velocity_limit_is_rejected() =>
        AssertMentions(Reject("velocity=\"3\"", "velocity=\"0\""), "line 31", "attribute 'velocity'", "expected a positive speed limit");

    [Fact]
    public void Negative_damping_is_rejected() =>
        AssertMentions(Reject("damping=\"0.1\"", "damping=\"-0.1\""), "line 32", "attribute 'damping'", "expected zero or more");

    [Fact]
    public void A_non_positive_mass_is_rejected() =>
        AssertMentions(Reject("<mass value=\"0.5\"/>", "<mass value=\"0\"/>"), "line 22", "<mass> in link 'lower'", "expected a positive mass");

    [Fact]
    public void A_missing_inertia_component_is_rejected() =>
        AssertMentions(Reject("iyy=\"0.005\" ", ""), "line 23", "<inertia> in link 'lower'", "missing attribute 'iyy'");

    [Fact]
    public void A_non_positive_definite_inertia_is_rejected() =>
        AssertMentions(Reject("iyz=\"0\" izz=\"0.001\"", "iyz=\"0\" izz=\"-0.001\""), "line 23", "<inertia> in link 'lower'", "not positive definite");

    [Fact]
    public void An_inertia_breaking_the_triangle_inequality_is_rejected() =>
        AssertMentions(Reject("iyz=\"0\" izz=\"0.001\"", "iyz=\"0\" izz=\"0.02\""), "line 23", "triangle inequality");

    [Fact]
    public void A_thin_rod_inertia_on_the_triangle_bound_is_accepted()
    {
        // Ixx = Iyy = mL²/12, Izz -> 0 is the limit of a rod; Ixx + Izz = Iyy sits exactly on the bound.
        Assert.Null(InertiaCheck.Problem(0.01, 0, 0, 0.01 + 1e-12, 0, 1e-12));
        var (a, b, c) = InertiaCheck.PrincipalMoments(2, 1, 0, 2, 0, 3);
        Assert.Equal(1, a, 9);
        Assert.Equal(3, b, 9);
        Assert.Equal(3, c, 9);
    }

    [Fact]
    public void A_misspelt_element_is_rejected_rather_than_ignored() =>
        AssertMentions(Reject("<dynamics damping", "<dynamic damping"), "line 32", "unexpected element <dynamic>", "<dynamics>");

    [Fact]
    public void A_mimic_joint_is_rejected() =>
        AssertMentions(Reject("<axis xyz=\"0 1 0\"/>", "<axis xyz=\"0 1 0\"/><mimic joint=\"shoulder\"/>"), "line 38", "mimic joints are not supported");

    [Theory]
    [InlineData("radius=\"0.03\"", "radius=\"-0.03\"", "attribute 'radius'", "expected a positive length")]
    [InlineData("<cylinder radius=\"0.03\" length=\"0.3\"/>", "<capsule radius=\"0.03\" length=\"0.3\"/>", "<capsule>", "capsules are not URDF")]
    [InlineData("<cylinder radius=\"0.03\" length=\"0.3\"/>", "<box size=\"0.1 0.1\"/>", "attribute 'size'", "2 component(s)")]
    [InlineData("<cylinder radius=\"0.03\" length=\"0.3\"/>", "<box size=\"0.1 0 0.1\"/>", "attribute 'size'", "three positive lengths")]
    [InlineData("<geometry><cylinder radius=\"0.03\" length=\"0.3\"/></geometry>", "<geometry/>", "<geometry>", "expected exactly one of")]
    public void Bad_geometry_is_rejected(string oldText, string newText, string element, string problem) =>
        AssertMentions(Reject(oldText, newText), "line 17", "in link 'upper'", element, problem);

    [Fact]
    public void A_missing_file_is_an_input_error_naming_it()
    {
        var e = Assert.Throws<InputError>(() => UrdfParser.Load("/nonexistent/robot.urdf"));
        Assert.Equal("/nonexistent/robot.urdf", e.Source_);
        Assert.Contains("cannot read", e.Message, StringComparison.Ordinal);
    }
}
