// Independent check of the ROS 2-shaped topics: decodes CDR with Foxglove's reader against the sensor_msgs definitions.
// Usage: node decode-ros.mjs <JointState|Imu> <message.bin>...  → one JSON object per line.
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { readFileSync } from "node:fs";

const sep = "\n================================================================================\n";
const header = `MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id` + sep + `MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec`;
const definitions = {
  JointState: `std_msgs/Header header
string[] name
float64[] position
float64[] velocity
float64[] effort` + sep + header,
  Imu: `std_msgs/Header header
geometry_msgs/Quaternion orientation
float64[9] orientation_covariance
geometry_msgs/Vector3 angular_velocity
float64[9] angular_velocity_covariance
geometry_msgs/Vector3 linear_acceleration
float64[9] linear_acceleration_covariance` + sep + header + sep + `MSG: geometry_msgs/Quaternion
float64 x
float64 y
float64 z
float64 w` + sep + `MSG: geometry_msgs/Vector3
float64 x
float64 y
float64 z`,
};

const [type, ...files] = process.argv.slice(2);
const reader = new MessageReader(parse(definitions[type], { ros2: true }));
for (const f of files) {
  const m = reader.readMessage(readFileSync(f));
  process.stdout.write(JSON.stringify(m, (k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v)) + "\n");
}
