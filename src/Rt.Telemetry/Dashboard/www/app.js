// Rt live dashboard: subscribes (read-only) to the telemetry v2 topics over MQTT-over-WebSocket and shows the
// safety state, the last trip and its cause, per channel group divergence ratios as scrolling plots, drops and
// loop timing. Topics and payloads: docs/TELEMETRY.md.
"use strict";
(function () {
  const q = new URLSearchParams(location.search);
  const cfg = window.RT_DASHBOARD || {};
  const defaultBroker = (location.protocol === "https:" ? "wss://" : "ws://") + location.host;
  const broker = q.get("broker") || cfg.broker || defaultBroker;
  const prefix = q.get("prefix") || cfg.prefix || "rt";
  const robot = q.get("robot") || cfg.robot || "biped12";
  const base = prefix + "/" + robot + "/";
  const windowS = Number(q.get("window") || cfg.window || 60);
  const $ = (id) => document.getElementById(id);
  const STOP_REACTIONS = ["Cat0", "Cat1", "Cat2"];

  // Arrival times (performance.now()) of the last message on each topic, for tests and for the lag display.
  const dash = (window.rtDashboard = { broker, prefix, robot, arrivals: {}, messages: 0, trip: null, errors: [] });

  $("robot").textContent = robot + " (" + prefix + ")";
  $("broker").textContent = broker;

  // One scrolling plot per channel group, created on the first summary that names the groups.
  const plots = {};
  function plotFor(group) {
    if (plots[group]) return plots[group];
    const div = document.createElement("div");
    div.dataset.group = group;
    $("plots").appendChild(div);
    const opts = {
      title: group, width: 420, height: 160,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1.2, max * 1.1)] } },
      series: [{}, { label: "worst ratio", stroke: "#1565c0", width: 1.5 }, { label: "threshold", stroke: "#c62828", dash: [4, 4] }],
      legend: { live: false },
    };
    const p = { x: [], y: [], one: [], plot: new uPlot(opts, [[], [], []], div) };
    plots[group] = p;
    return p;
  }

  function fmt(x, d) { return x === null || x === undefined ? "–" : typeof x === "number" ? x.toFixed(d ?? 3) : String(x); }
  function utc(ns) { return ns ? new Date(Number(ns) / 1e6).toISOString().replace("T", " ").replace("Z", " UTC") : "?"; }

  function showSafety(state) {
    $("safety").textContent = state;
    $("safety").dataset.state = state;
  }

  function showTrip(e, source, now) {
    if (!e) return;
    // Ids grow within a host run. The summary's cause carries the session's run id, not the safety log's, so it
    // only ever shows a newer id; safety/last_trip replace the trip on a newer id or another run (a restarted host).
    const key = e.run + ":" + e.id;
    const cur = dash.trip;
    if (cur) {
      const newer = e.id > cur.event.id;
      const otherRun = source !== "summary" && cur.source !== "summary" && e.run !== cur.event.run;
      if (!newer && !otherRun) return;
    }
    dash.trip = { key, source, event: e, arrivedAt: now }; // arrival of the message that first showed this trip
    const el = $("trip");
    el.dataset.tripped = "true";
    el.dataset.trigger = e.trigger;
    el.dataset.id = String(e.id);
    $("trip-text").textContent =
      e.trigger + " on " + (e.channel_name || ("channel " + e.channel)) + ": " + fmt(e.value) + " over threshold " + fmt(e.threshold) +
      " → " + e.reaction + ", " + (e.from ? e.from + " → " : "") + e.to + " at tick " + e.tick +
      (e.utc_ns ? " (" + utc(e.utc_ns) + ")" : "") + " [" + source + "]";
  }

  function addEvent(e) {
    const line = document.createElement("div");
    line.textContent = "#" + e.id + " tick " + e.tick + " " + (e.from || "") + "→" + e.to + " " + e.trigger + " " +
      (e.channel_name || "") + " value " + fmt(e.value) + " thr " + fmt(e.threshold) + " " + e.reaction;
    $("events").prepend(line);
    while ($("events").childElementCount > 50) $("events").lastChild.remove();
  }

  let prev = null;
  function channelName(i) {
    const chans = dash.birth && dash.birth.channels;
    return chans && i >= 0 && i < chans.length && chans[i].name ? chans[i].name : (i >= 0 ? "channel " + i : "–");
  }

  function onSummary(s, now) {
    showSafety(s.safety);
    if (s.cause) showTrip(Object.assign({ run: s.run }, s.cause), "summary", now);
    const tSec = Number(s.utc_ns) / 1e9;
    // Summary v2.1: "ratio" maps each channel group to its worst ratio (null: no record this period), "stats" to
    // [channel, det, thr, score, gate].
    const ratios = s.ratio || {}, stats = s.stats || {};
    for (const group of Object.keys(ratios)) {
      const p = plotFor(group);
      p.x.push(tSec); p.y.push(ratios[group]); p.one.push(1);
      while (p.x.length && p.x[0] < tSec - windowS) { p.x.shift(); p.y.shift(); p.one.shift(); }
      p.plot.setData([p.x, p.y, p.one]);
    }
    // "worst" names the worst group (null: no record this period); channel names come from the birth message.
    const w = s.worst && stats[s.worst];
    if (w) $("worst").textContent = channelName(w[0]) + " ratio " + fmt(ratios[s.worst]) +
      " (det " + fmt(w[1]) + " / thr " + fmt(w[2]) + ", score " + fmt(w[3]) + " / gate " + fmt(w[4]) + ")";
    const c = s.counters || {};
    let tickRate = null, simRatio = null;
    if (prev && prev.run === s.run && s.utc_ns > prev.utc_ns) {
      const wall = (s.utc_ns - prev.utc_ns) / 1e9;
      tickRate = (s.tick - prev.tick) / wall;
      simRatio = ((s.t_ns - prev.t_ns) / 1e9) / wall;
    }
    prev = s;
    const rows = [
      ["tick", s.tick], ["loop time", fmt(s.t_ns / 1e9, 3) + " s"],
      ["ticks per wall second", fmt(tickRate, 0)], ["loop time / wall time", fmt(simRatio, 2)],
      ["age on arrival", fmt(Date.now() - Number(s.utc_ns) / 1e6, 0) + " ms"],
      ["records", c.records], ["published", c.published], ["dropped (ring)", c.dropped_ring],
      ["dropped (link)", c.dropped_link], ["decimated", c.decimated], ["missed ticks", c.missed_ticks], ["run", s.run],
    ];
    const body = $("counters");
    body.replaceChildren(...rows.map(([k, v]) => {
      const tr = document.createElement("tr");
      const a = document.createElement("td"); a.textContent = k;
      const b = document.createElement("td"); b.className = "n"; b.textContent = v === undefined ? "–" : String(v);
      b.dataset.counter = k;
      tr.append(a, b);
      return tr;
    }));
  }

  function onMessage(topic, payload) {
    const now = performance.now();
    const sub = topic.startsWith(base) ? topic.substring(base.length) : topic;
    dash.arrivals[sub] = now;
    dash.messages++;
    if (sub === "divergence" || sub === "joint_states" || sub.startsWith("imu/")) return; // binary; the summary carries what the page shows
    if (payload.length === 0) return; // a cleared retained message
    let m;
    try { m = JSON.parse(new TextDecoder().decode(payload)); } catch (err) { dash.errors.push(topic + ": " + err); return; }
    switch (sub) {
      case "summary": onSummary(m, now); break;
      case "state":
        $("online").textContent = m.status + (m.clean === false && m.status === "offline" ? " (lost)" : "");
        if (m.safety) showSafety(m.safety);
        break;
      case "last_trip": showTrip(m, "last_trip", now); break;
      case "safety":
        addEvent(m);
        if (STOP_REACTIONS.includes(m.reaction)) showTrip(m, "safety", now);
        break;
      case "birth": dash.birth = m; break;
      case "link": addEvent({ id: "link", tick: "", to: m.event, trigger: "link", reaction: "outage " + fmt(m.outage_s, 1) + " s, dropped " + m.dropped }); break;
    }
  }

  const client = mqtt.connect(broker, { protocolVersion: 5, clean: true, reconnectPeriod: 1000,
    clientId: "rt-dashboard-" + Math.random().toString(16).slice(2, 10) });
  client.on("connect", () => {
    $("conn").textContent = "connected"; $("conn").dataset.conn = "connected";
    // Only the JSON topics: the binary divergence (~20 messages/s) and ROS topics (100 Hz) are not needed here.
    client.subscribe(["summary", "state", "last_trip", "safety", "birth", "link"].map((t) => base + t), { qos: 1 });
  });
  client.on("reconnect", () => { $("conn").textContent = "reconnecting"; $("conn").dataset.conn = "reconnecting"; });
  client.on("offline", () => { $("conn").textContent = "offline"; $("conn").dataset.conn = "offline"; });
  client.on("error", (err) => { dash.errors.push(String(err)); $("conn").textContent = "error: " + err.message; });
  client.on("message", onMessage);
})();
