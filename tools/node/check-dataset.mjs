// Reads a LeRobot dataset written by rt with an independent Parquet reader (hyparquet) and prints a JSON summary
// for the .NET test: meta files, and per episode file the row count, the Parquet physical types of each column,
// the list lengths of observation.state/action, index continuity, and the per-frame label counts.
// usage: node check-dataset.mjs <dataset-dir>
import { readFile } from "node:fs/promises";
import path from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from "hyparquet";

const root = process.argv[2];
const info = JSON.parse(await readFile(path.join(root, "meta", "info.json"), "utf8"));
const lines = async (f) => (await readFile(path.join(root, "meta", f), "utf8")).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
const episodes = await lines("episodes.jsonl");
const tasks = await lines("tasks.jsonl");
const errors = [];
const files = [];
let expectedIndex = 0;
for (const ep of episodes) {
  const rel = info.data_path
    .replace("{episode_chunk:03d}", String(Math.floor(ep.episode_index / info.chunks_size)).padStart(3, "0"))
    .replace("{episode_index:06d}", String(ep.episode_index).padStart(6, "0"));
  const file = await asyncBufferFromFile(path.join(root, rel));
  const meta = await parquetMetadataAsync(file);
  const schema = parquetSchema(meta);
  const types = {};
  const walk = (node, prefix) => {
    for (const c of node.children) {
      const name = prefix ? `${prefix}.${c.element.name}` : c.element.name;
      if (c.children.length) walk(c, name);
      else types[name] = c.element.type;
    }
  };
  walk(schema, "");
  const rows = await parquetReadObjects({ file });
  const f = { path: rel, numRows: Number(meta.num_rows), rows: rows.length, types, columns: schema.children.map((c) => c.element.name) };
  f.stateLengths = [...new Set(rows.map((r) => r["observation.state"].length))];
  f.actionLengths = [...new Set(rows.map((r) => r.action.length))];
  f.faultActive = rows.filter((r) => r["label.fault_active"] === true).length;
  f.tripped = rows.filter((r) => r["label.tripped"] === true).length;
  f.firstTripped = rows.findIndex((r) => r["label.tripped"] === true);
  f.firstFaultActive = rows.findIndex((r) => r["label.fault_active"] === true);
  f.episodeIndex = [...new Set(rows.map((r) => Number(r.episode_index)))];
  f.taskIndex = [...new Set(rows.map((r) => Number(r.task_index)))];
  f.firstTimestamp = rows[0]?.timestamp;
  f.lastTimestamp = rows.at(-1)?.timestamp;
  f.first = rows[0] ? { state: Array.from(rows[0]["observation.state"]).slice(0, 3), action: Array.from(rows[0].action).slice(0, 3) } : null;
  for (let i = 0; i < rows.length; i++) {
    if (Number(rows[i].frame_index) !== i || Number(rows[i].index) !== expectedIndex + i) {
      errors.push(`${rel}: row ${i} has frame_index ${rows[i].frame_index}, index ${rows[i].index}`);
      break;
    }
    if (i > 0 && !(rows[i].timestamp > rows[i - 1].timestamp)) {
      errors.push(`${rel}: timestamp not increasing at row ${i}`);
      break;
    }
  }
  expectedIndex += rows.length;
  files.push(f);
}
console.log(JSON.stringify({ info, episodes, tasks, files, errors }, (k, v) => (typeof v === "bigint" ? Number(v) : v)));
