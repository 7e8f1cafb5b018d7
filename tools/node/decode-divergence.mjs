// Independent check of the divergence stream: decodes protobuf messages with protobufjs against the repo's .proto.
// Usage: node decode-divergence.mjs <divergence_v2.proto> <message.bin>...  → one JSON object per line.
import protobuf from "protobufjs";
import { readFileSync } from "node:fs";

const [protoPath, ...files] = process.argv.slice(2);
const root = await protobuf.load(protoPath);
const Batch = root.lookupType("rt.telemetry.v2.DivergenceBatch");
for (const f of files) {
  const msg = Batch.decode(readFileSync(f));
  const obj = Batch.toObject(msg, { longs: String, defaults: true, arrays: true });
  process.stdout.write(JSON.stringify(obj) + "\n");
}
