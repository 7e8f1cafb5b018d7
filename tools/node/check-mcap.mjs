// Reads an MCAP file with independent readers and prints a JSON summary for the .NET test to check:
// @mcap/core's indexed reader (summary, summary CRC, chunk indexes, message indexes, chunk CRCs) and stream reader
// (every record front to back; zstd chunks through @foxglove/wasm-zstd, Foxglove's own decoder), the data section CRC recomputed with @foxglove/crc, and every message decoded from
// its channel's ros2msg schema text by @foxglove/rosmsg + @foxglove/rosmsg2-serialization.
// usage: node check-mcap.mjs <file.mcap>
import { readFile } from "node:fs/promises";
import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import { crc32 } from "@foxglove/crc";
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import zstd from "@foxglove/wasm-zstd";

const path = process.argv[2];
const bytes = new Uint8Array(await readFile(path));
const errors = [];

await zstd.isLoaded;
const decompressHandlers = { zstd: (buffer, size) => zstd.decompress(buffer, Number(size)) };
const indexed = await McapIndexedReader.Initialize({
  decompressHandlers,
  readable: {
    size: async () => BigInt(bytes.length),
    read: async (offset, length) => bytes.subarray(Number(offset), Number(offset + length)),
  },
});

const readers = new Map();
for (const [id, ch] of indexed.channelsById) {
  const schema = indexed.schemasById.get(ch.schemaId);
  if (!schema || schema.encoding !== "ros2msg" || ch.messageEncoding !== "cdr") {
    errors.push(`channel ${ch.topic}: schema encoding ${schema?.encoding}, message encoding ${ch.messageEncoding}`);
    continue;
  }
  const text = new TextDecoder().decode(schema.data);
  readers.set(id, new MessageReader(parse(text, { ros2: true })));
}

const toJson = (v) => {
  if (typeof v === "bigint") return v.toString();
  if (ArrayBuffer.isView(v)) return Array.from(v);
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
};

const topics = {};
for (const [id, ch] of indexed.channelsById) {
  topics[ch.topic] = { schema: indexed.schemasById.get(ch.schemaId)?.name, count: 0, decoded: 0, monotonic: true, stampsMonotonic: true, sequential: true, first: null, last: null, metadata: Object.fromEntries(ch.metadata) };
}
const lastTime = new Map(), lastStamp = new Map(), lastSeq = new Map();
let total = 0;
for await (const m of indexed.readMessages()) {
  total++;
  const ch = indexed.channelsById.get(m.channelId);
  const t = topics[ch.topic];
  t.count++;
  if (lastTime.has(m.channelId) && m.logTime < lastTime.get(m.channelId)) t.monotonic = false;
  lastTime.set(m.channelId, m.logTime);
  if (lastSeq.has(m.channelId) && m.sequence !== lastSeq.get(m.channelId) + 1) t.sequential = false;
  lastSeq.set(m.channelId, m.sequence);
  let msg;
  try {
    msg = readers.get(m.channelId).readMessage(m.data);
    t.decoded++;
  } catch (e) {
    if (errors.length < 20) errors.push(`${ch.topic} message ${m.sequence}: ${e.message}`);
    continue;
  }
  if (msg.header) {
    const stamp = BigInt(msg.header.stamp.sec) * 1000000000n + BigInt(msg.header.stamp.nanosec);
    if (stamp !== m.logTime) t.stampsMonotonic = false; // header stamp must equal the log time we wrote
    if (lastStamp.has(m.channelId) && stamp < lastStamp.get(m.channelId)) t.stampsMonotonic = false;
    lastStamp.set(m.channelId, stamp);
  }
  const entry = { logTime: m.logTime, message: msg };
  if (t.first === null) t.first = entry;
  t.last = entry;
}

// Every record front to back: the stream reader checks each chunk's CRC and the record structure.
const stream = new McapStreamReader({ validateCrcs: true, decompressHandlers });
stream.append(bytes);
const recordCounts = {};
let dataEndCrc = null, dataEndOffset = null;
for (let r; (r = stream.nextRecord()); ) {
  recordCounts[r.type] = (recordCounts[r.type] ?? 0) + 1;
  if (r.type === "DataEnd") dataEndCrc = r.dataSectionCrc;
}
if (!stream.done()) errors.push("stream reader did not reach the end of the file");
// The DataEnd record starts where the summary section starts minus its own 13 bytes (1 opcode + 8 length + 4 crc).
const footerStart = bytes.length - 8 - (1 + 8 + 20);
const view = new DataView(bytes.buffer, bytes.byteOffset);
const summaryStart = Number(view.getBigUint64(footerStart + 9, true));
dataEndOffset = summaryStart - 13;
const recomputed = crc32(bytes.subarray(0, dataEndOffset));

const metadata = {};
for await (const md of indexed.readMetadata()) metadata[md.name] = Object.fromEntries(md.metadata);

console.log(JSON.stringify(toJson({
  profile: indexed.header.profile,
  library: indexed.header.library,
  statistics: indexed.statistics,
  chunkIndexes: indexed.chunkIndexes.length,
  compression: [...new Set(indexed.chunkIndexes.map((c) => c.compression))],
  messages: total,
  recordCounts,
  dataSectionCrc: dataEndCrc,
  dataSectionCrcRecomputed: recomputed,
  metadata,
  topics,
  errors,
})));
