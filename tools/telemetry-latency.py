#!/usr/bin/python3
"""Independent subscriber for the telemetry benchmarks (paho-mqtt, MQTT 5, its own process).

Measures, on the same broker and in the same run:
  * safety events: from the safety log's UTC stamp (utc_ns in the payload, taken when the event was raised) to this
    subscriber's arrival (time.time_ns(); same machine, same clock), de-duplicated by (run, id);
  * a baseline: a paho QoS 1 publisher in this process, on its own connection, every 50 ms, to the same subscriber:
    the broker's and the subscriber's share of any latency on this (noisy) machine;
  * divergence: bytes, messages and gaps in `seq` (field 3 of rt.telemetry.v2.DivergenceBatch), summary bytes.
Prints `name: value unit` lines when SECONDS have passed or on SIGTERM/SIGINT.
  telemetry-latency.py HOST PORT TOPIC_ROOT SECONDS        (TOPIC_ROOT e.g. rt/bench)
"""
import json, signal, sys, threading, time
import paho.mqtt.client as mqtt

host, port, root, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
baseline_topic = f"rt-latency-baseline/{port}"
safety, baseline, seen = [], [], set()
div = {"bytes": 0, "messages": 0, "gaps": 0, "last": None, "summary": 0}
lock = threading.Lock()
stop = threading.Event()


def varint(b, i):
    x = s = 0
    while True:
        c = b[i]; i += 1
        x |= (c & 0x7F) << s; s += 7
        if c < 0x80: return x, i


def seq_of(b):
    """Top-level field 3 (seq, varint) of the protobuf message; None if absent."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = varint(b, i)
            if f == 3: return v
        elif w == 1: i += 8
        elif w == 5: i += 4
        elif w == 2:
            n, i = varint(b, i); i += n
        else: return None
    return None


def on_message(client, userdata, m):
    now = time.time_ns()
    t = m.topic
    with lock:
        if t == baseline_topic:
            baseline.append((now - int(m.payload)) / 1e6)
        elif t.endswith("/safety"):
            e = json.loads(m.payload)
            key = (e["run"], e["id"])
            if key not in seen:
                seen.add(key)
                safety.append((now - e["utc_ns"]) / 1e6)
        elif t.endswith("/divergence"):
            div["bytes"] += len(m.payload); div["messages"] += 1
            s = seq_of(m.payload)
            if s is not None:
                if div["last"] is not None and s > div["last"] + 1: div["gaps"] += s - div["last"] - 1
                div["last"] = s
        elif t.endswith("/summary"):
            div["summary"] += len(m.payload)


subscribed = threading.Event()
sub = mqtt.Client(client_id=f"rt-latency-sub-{port}", protocol=mqtt.MQTTv5)
sub.on_message = on_message
sub.on_connect = lambda c, u, f, rc, p=None: c.subscribe([(f"{root}/#", 1), (baseline_topic, 1)])
sub.on_subscribe = lambda *a: subscribed.set()
sub.connect(host, port)
sub.loop_start()
subscribed.wait(30)

pub = mqtt.Client(client_id=f"rt-latency-pub-{port}", protocol=mqtt.MQTTv5)
pub.connect(host, port)
pub.loop_start()
for s in (signal.SIGTERM, signal.SIGINT): signal.signal(s, lambda *a: stop.set())
print(f"# telemetry-latency.py subscribed to {root}/# on {host}:{port}", flush=True)
t0 = time.monotonic()
while not stop.is_set() and time.monotonic() - t0 < seconds:
    pub.publish(baseline_topic, str(time.time_ns()), qos=1)
    stop.wait(0.05)
time.sleep(0.5)
wall = time.monotonic() - t0
pub.loop_stop(); sub.loop_stop()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


with lock:
    print(f"telemetry.safety.sub.received: {len(safety)} events (distinct run/id)")
    print(f"telemetry.safety.sub.latency.p50: {pct(safety, 0.5):.2f} ms (raised -> independent subscriber)")
    print(f"telemetry.safety.sub.latency.p99: {pct(safety, 0.99):.2f} ms")
    print(f"broker.baseline.latency.p50: {pct(baseline, 0.5):.2f} ms (paho QoS 1 publish -> same subscriber, same run, {len(baseline)} messages)")
    print(f"broker.baseline.latency.p99: {pct(baseline, 0.99):.2f} ms")
    print(f"telemetry.divergence.sub.rate: {div['bytes'] / wall / 1e3:.2f} kB/s ({div['messages']} messages)")
    print(f"telemetry.divergence.sub.seq_gaps: {div['gaps']} messages")
    print(f"telemetry.summary.sub.rate: {div['summary'] / wall / 1e3:.2f} kB/s")
