using System.Xml;
using System.Xml.Linq;
using Rt.Core.Errors;

namespace Rt.Core.Description;

/// <summary>
/// Reads a URDF file into a validated <see cref="RobotDescription"/>: one tree of links joined by revolute, continuous,
/// prismatic or fixed joints, with physically possible inertias and complete joint limits.
/// Every problem is an <see cref="InputError"/> naming the file, line, element and attribute.
/// Not real-time safe (file I/O, XML, allocation): call while preparing, never inside the tick.
/// </summary>
public static class UrdfParser
{
    private static readonly string[] TopLevel = ["link", "joint", "material", "transmission", "gazebo", "ros2_control"];

    /// <summary>Not real-time safe. Reads and parses the URDF at <paramref name="path"/>.</summary>
    public static RobotDescription Load(string path)
    {
        string full = Path.GetFullPath(path);
        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputError(full, "", $"cannot read the robot description: {e.Message}", e);
        }
        return Parse(text, full);
    }

    /// <summary>Not real-time safe. Parses URDF text; <paramref name="sourceName"/> is used in messages and as <see cref="RobotDescription.SourcePath"/>.</summary>
    public static RobotDescription Parse(string xmlText, string sourceName)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(xmlText, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            throw new InputError(sourceName, $"line {e.LineNumber}, column {e.LinePosition}", $"malformed XML: {e.Message}", e);
        }

        var values = new UrdfValues(sourceName);
        var robot = document.Root!;
        if (robot.Name.LocalName != "robot")
        {
            throw values.Error(robot, $"the root element is <{robot.Name.LocalName}>; expected <robot name=\"...\">");
        }
        string robotName = values.RequiredName(robot);
        values.OnlyChildren(robot, TopLevel);

        var links = new List<Link>();
        var linkElements = new Dictionary<string, XElement>(StringComparer.Ordinal);
        foreach (var element in robot.Elements("link"))
        {
            string name = values.RequiredName(element);
            if (linkElements.TryGetValue(name, out var first))
            {
                throw values.Error(element, $"duplicate link name '{name}' (first defined at {UrdfValues.Where(first)}); link names must be unique");
            }
            linkElements.Add(name, element);
            links.Add(ReadLink(values, element, name));
        }
        if (links.Count == 0) throw values.Error(robot, "the robot has no <link> elements; expected at least one");

        var joints = new List<Joint>();
        var jointElements = new Dictionary<string, XElement>(StringComparer.Ordinal);
        var parentJointOf = new Dictionary<string, XElement>(StringComparer.Ordinal); // child link -> joint element
        foreach (var element in robot.Elements("joint"))
        {
            string name = values.RequiredName(element);
            if (jointElements.TryGetValue(name, out var first))
            {
                throw values.Error(element, $"duplicate joint name '{name}' (first defined at {UrdfValues.Where(first)}); joint names must be unique");
            }
            jointElements.Add(name, element);
            var joint = ReadJoint(values, element, name, linkElements);
            if (parentJointOf.TryGetValue(joint.Child, out var other))
            {
                throw values.Error(element.Element("child")!,
                    $"link '{joint.Child}' already has parent joint '{(string?)other.Attribute("name")}' ({UrdfValues.Where(other)}); a link may have only one parent in a tree");
            }
            parentJointOf.Add(joint.Child, element);
            joints.Add(joint);
        }

        string root = FindRoot(values, robot, links, linkElements, parentJointOf, joints);
        return new RobotDescription(robotName, sourceName, links, joints, root);
    }

    private static Link ReadLink(UrdfValues values, XElement element, string name)
    {
        values.OnlyChildren(element, "inertial", "visual", "collision");
        Inertial? inertial = null;
        var inertialElement = values.Single(element, "inertial");
        if (inertialElement is not null) inertial = ReadInertial(values, inertialElement);
        var visuals = new List<LinkGeometry>();
        foreach (var visual in element.Elements("visual"))
        {
            values.OnlyChildren(visual, "origin", "geometry", "material");
            visuals.Add(ReadGeometry(values, visual));
        }
        var collisions = new List<LinkGeometry>();
        foreach (var collision in element.Elements("collision"))
        {
            values.OnlyChildren(collision, "origin", "geometry");
            collisions.Add(ReadGeometry(values, collision));
        }
        return new Link(name, inertial) { Visuals = visuals, Collisions = collisions };
    }

    private static Inertial ReadInertial(UrdfValues values, XElement element)
    {
        values.OnlyChildren(element, "origin", "mass", "inertia");
        var origin = values.Origin(element);
        var massElement = values.Required(element, "mass");
        double mass = values.Number(massElement, "value");
        if (mass <= 0) throw values.Error(massElement.Attribute("value")!, $"mass is {mass} kg; expected a positive mass");
        if (mass > MaxMassKg) throw values.Error(massElement.Attribute("value")!, $"mass is {mass} kg; expected a value in (0, {MaxMassKg}] kg");
        var inertia = values.Required(element, "inertia");
        double ixx = values.Number(inertia, "ixx"), ixy = values.Number(inertia, "ixy"), ixz = values.Number(inertia, "ixz");
        double iyy = values.Number(inertia, "iyy"), iyz = values.Number(inertia, "iyz"), izz = values.Number(inertia, "izz");
        var problem = InertiaCheck.Problem(ixx, ixy, ixz, iyy, iyz, izz);
        if (problem is not null) throw values.Error(inertia, problem);
        return new Inertial(origin, mass, ixx, ixy, ixz, iyy, iyz, izz);
    }

    private static LinkGeometry ReadGeometry(UrdfValues values, XElement element)
    {
        var origin = values.Origin(element);
        var geometry = values.Required(element, "geometry");
        var shapes = geometry.Elements().ToList();
        if (shapes.Count != 1)
        {
            throw values.Error(geometry, $"<geometry> has {shapes.Count} shapes; expected exactly one of <box>, <cylinder>, <sphere>, <mesh>");
        }
        var shapeElement = shapes[0];
        Geometry shape = shapeElement.Name.LocalName switch
        {
            "box" => new BoxGeometry(PositiveTriple(values, shapeElement, "size")),
            "cylinder" => new CylinderGeometry(Positive(values, shapeElement, "radius"), Positive(values, shapeElement, "length")),
            "sphere" => new SphereGeometry(Positive(values, shapeElement, "radius")),
            "mesh" => new MeshGeometry(values.RequiredString(shapeElement, "filename"), values.Triple(shapeElement, "scale", new Vec3(1, 1, 1))),
            _ => throw values.Error(shapeElement, $"unknown shape <{shapeElement.Name.LocalName}>; expected <box>, <cylinder>, <sphere> or <mesh> (capsules are not URDF)"),
        };
        return new LinkGeometry((string?)element.Attribute("name") ?? "", origin, shape);
    }

    private static double Positive(UrdfValues values, XElement element, string name)
    {
        double value = values.Number(element, name);
        if (value <= 0) throw values.Error(element.Attribute(name)!, $"{name} is {value}; expected a positive length in metres");
        return value;
    }

    private static Vec3 PositiveTriple(UrdfValues values, XElement element, string name)
    {
        if (element.Attribute(name) is null) throw values.Error(element, $"missing attribute '{name}'; expected three lengths 'x y z'");
        var v = values.Triple(element, name, Vec3.Zero);
        if (v.X <= 0 || v.Y <= 0 || v.Z <= 0) throw values.Error(element.Attribute(name)!, $"{name} is '{v.X} {v.Y} {v.Z}'; expected three positive lengths in metres");
        return v;
    }

    private static Joint ReadJoint(UrdfValues values, XElement element, string name, Dictionary<string, XElement> links)
    {
        values.OnlyChildren(element, "parent", "child", "origin", "axis", "limit", "dynamics", "calibration", "safety_controller", "mimic");
        var typeAttribute = element.Attribute("type") ?? throw values.Error(element, "missing attribute 'type'; expected revolute, continuous, prismatic or fixed");
        var type = typeAttribute.Value switch
        {
            "revolute" => JointType.Revolute,
            "continuous" => JointType.Continuous,
            "prismatic" => JointType.Prismatic,
            "fixed" => JointType.Fixed,
            "floating" or "planar" => throw values.Error(typeAttribute,
                $"joint type '{typeAttribute.Value}' is not supported; Rt drives fixed-base robots with revolute, continuous, prismatic and fixed joints (a test stand or floating base belongs to the bench, not the URDF)"),
            _ => throw values.Error(typeAttribute, $"unknown joint type '{typeAttribute.Value}'; expected revolute, continuous, prismatic or fixed"),
        };
        if (values.Single(element, "mimic") is { } mimic)
        {
            throw values.Error(mimic, "mimic joints are not supported; every movable joint must have its own drive");
        }

        string parent = LinkReference(values, element, "parent", links);
        string child = LinkReference(values, element, "child", links);
        if (parent == child) throw values.Error(element.Element("child")!, $"joint connects link '{parent}' to itself; a joint must join two different links");

        var origin = values.Origin(element);
        var axis = new Vec3(1, 0, 0); // URDF default
        if (values.Single(element, "axis") is { } axisElement)
        {
            if (axisElement.Attribute("xyz") is null) throw values.Error(axisElement, "missing attribute 'xyz'; expected a direction 'x y z'");
            var raw = values.Triple(axisElement, "xyz", axis);
            double norm = Math.Sqrt(raw.X * raw.X + raw.Y * raw.Y + raw.Z * raw.Z);
            if (type != JointType.Fixed)
            {
                if (norm < 1e-9) throw values.Error(axisElement.Attribute("xyz")!, "the axis is zero; expected a non-zero direction such as '0 1 0'");
                axis = new Vec3(raw.X / norm, raw.Y / norm, raw.Z / norm);
            }
        }

        var limitElement = values.Single(element, "limit");
        JointLimits? limits = null;
        if (type is JointType.Revolute or JointType.Prismatic)
        {
            if (limitElement is null)
            {
                throw values.Error(element, $"a {typeAttribute.Value} joint needs <limit lower upper effort velocity>; none found");
            }
            limits = ReadLimits(values, limitElement, hasPositionLimits: true);
        }
        else if (type == JointType.Continuous && limitElement is not null)
        {
            limits = ReadLimits(values, limitElement, hasPositionLimits: false);
        }

        JointDynamics? dynamics = null;
        if (values.Single(element, "dynamics") is { } dynamicsElement)
        {
            double damping = values.Number(dynamicsElement, "damping", 0);
            double friction = values.Number(dynamicsElement, "friction", 0);
            if (damping < 0) throw values.Error(dynamicsElement.Attribute("damping")!, $"damping is {damping}; expected zero or more");
            if (friction < 0) throw values.Error(dynamicsElement.Attribute("friction")!, $"friction is {friction}; expected zero or more");
            dynamics = new JointDynamics(damping, friction);
        }
        return new Joint(name, type, parent, child, origin, axis, limits, dynamics);
    }

    /// <summary>Plausible bounds of URDF limits and masses (docs/CONFIG.md "Bounds"): a typo like 1e308 is refused, not trusted.</summary>
    public const double MaxEffort = 100_000, MaxVelocity = 1000, MaxPosition = 1000, MaxMassKg = 10_000;

    private static JointLimits ReadLimits(UrdfValues values, XElement element, bool hasPositionLimits)
    {
        double effort = values.Number(element, "effort");
        double velocity = values.Number(element, "velocity");
        if (effort <= 0) throw values.Error(element.Attribute("effort")!, $"effort is {effort}; expected a positive torque (N·m) or force (N) limit");
        if (velocity <= 0) throw values.Error(element.Attribute("velocity")!, $"velocity is {velocity}; expected a positive speed limit");
        if (effort > MaxEffort) throw values.Error(element.Attribute("effort")!, $"effort is {effort}; expected a value in (0, {MaxEffort}] N·m (or N)");
        if (velocity > MaxVelocity) throw values.Error(element.Attribute("velocity")!, $"velocity is {velocity}; expected a value in (0, {MaxVelocity}] rad/s (or m/s)");
        if (!hasPositionLimits)
        {
            // A continuous joint has no position bounds; URDF ignores lower/upper on it.
            return new JointLimits(double.NegativeInfinity, double.PositiveInfinity, effort, velocity);
        }
        double lower = values.Number(element, "lower", 0);
        double upper = values.Number(element, "upper", 0);
        if (lower > upper) throw values.Error(element, $"lower ({lower}) is above upper ({upper}); expected lower <= upper");
        if (Math.Abs(lower) > MaxPosition) throw values.Error(element.Attribute("lower")!, $"lower is {lower}; expected a value in [-{MaxPosition}, {MaxPosition}] rad (or m)");
        if (Math.Abs(upper) > MaxPosition) throw values.Error(element.Attribute("upper")!, $"upper is {upper}; expected a value in [-{MaxPosition}, {MaxPosition}] rad (or m)");
        return new JointLimits(lower, upper, effort, velocity);
    }

    private static string LinkReference(UrdfValues values, XElement joint, string role, Dictionary<string, XElement> links)
    {
        var element = values.Required(joint, role);
        string link = values.RequiredString(element, "link");
        if (!links.ContainsKey(link))
        {
            throw values.Error(element.Attribute("link")!, $"{role} link '{link}' is not defined; expected the name of a <link> in this file");
        }
        return link;
    }

    private static string FindRoot(
        UrdfValues values,
        XElement robot,
        List<Link> links,
        Dictionary<string, XElement> linkElements,
        Dictionary<string, XElement> parentJointOf,
        List<Joint> joints)
    {
        var roots = links.Where(l => !parentJointOf.ContainsKey(l.Name)).Select(l => l.Name).ToList();
        if (roots.Count == 0)
        {
            throw values.Error(robot, "no root link: every link is the child of some joint, so the joints form a cycle; a URDF must be a tree");
        }
        if (roots.Count > 1)
        {
            throw values.Error(linkElements[roots[1]],
                $"more than one root link ({string.Join(", ", roots.Select(r => $"'{r}'"))}); a URDF must be a single tree, so every link but one needs a parent joint");
        }

        // With one root and at most one parent per link, any link the root cannot reach sits on a cycle.
        var reached = new HashSet<string>(StringComparer.Ordinal) { roots[0] };
        var byParent = joints.ToLookup(j => j.Parent, StringComparer.Ordinal);
        var stack = new Stack<string>();
        stack.Push(roots[0]);
        while (stack.Count > 0)
        {
            foreach (var j in byParent[stack.Pop()])
            {
                if (reached.Add(j.Child)) stack.Push(j.Child);
            }
        }
        foreach (var link in links)
        {
            if (reached.Contains(link.Name)) continue;
            var cycle = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            string at = link.Name;
            while (seen.Add(at))
            {
                var jointElement = parentJointOf[at];
                at = (string)jointElement.Element("parent")!.Attribute("link")!;
            }
            // 'at' is now on the cycle: walk it once more to name its joints.
            string start = at;
            XElement? firstJoint = null;
            do
            {
                var jointElement = parentJointOf[at];
                firstJoint ??= jointElement;
                cycle.Add((string)jointElement.Attribute("name")!);
                at = (string)jointElement.Element("parent")!.Attribute("link")!;
            }
            while (at != start);
            cycle.Reverse();
            throw values.Error(firstJoint!, $"the joints {string.Join(" -> ", cycle.Select(c => $"'{c}'"))} form a cycle; a URDF must be a tree");
        }
        return roots[0];
    }
}
