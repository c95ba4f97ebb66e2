"""The class game's pages: a student's (light, for a phone) and the teacher's (for a projector).

Plain HTML, CSS and JavaScript served by `dmpsim.app.play.server`; no framework, nothing from
outside the machine. Scripts are files of their own (so the server's Content-Security-Policy can
forbid inline scripts), and every text from the game (names above all) is put on the page with
`textContent`, never as HTML.
"""

from __future__ import annotations

COMMON_CSS = """
:root { color-scheme: light dark; --fg: #1a1a1a; --bg: #ffffff; --muted: #555; --card: #f4f4f4;
        --accent: #0072B2; --warn: #a3000b; --ok: #00603a; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #f0f0f0; --bg: #121212; --muted: #c8c8c8; --card: #242424; --accent: #56B4E9;
          --warn: #ff8a80; --ok: #7ddc9f; }
}
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
       background: var(--bg); margin: 0; padding: 12px; font-size: 17px; line-height: 1.35; }
h1 { font-size: 22px; margin: 0 0 8px 0; }
h2 { font-size: 19px; margin: 0 0 6px 0; }
h3 { font-size: 17px; margin: 10px 0 4px 0; }
.card { background: var(--card); border-radius: 8px; padding: 10px 12px; margin: 8px 0; }
.muted { color: var(--muted); }
.error { color: var(--warn); font-weight: bold; min-height: 1.2em; }
button { font-size: 17px; padding: 10px 14px; margin: 4px 4px 4px 0; border-radius: 6px;
         border: 2px solid var(--accent); background: var(--bg); color: var(--fg);
         cursor: pointer; }
button.primary { background: var(--accent); color: #fff; }
button:disabled { opacity: 0.5; cursor: default; }
input, select { font-size: 17px; padding: 6px; margin: 2px 0 8px 0; color: var(--fg);
                background: var(--bg); border: 1px solid var(--muted); border-radius: 4px; }
ul { padding-left: 20px; margin: 4px 0; }
table { border-collapse: collapse; }
td, th { text-align: left; padding: 2px 8px 2px 0; vertical-align: top; }
[hidden] { display: none !important; }
"""

STUDENT_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dmpsim class game</title><link rel="stylesheet" href="/play.css"></head>
<body class="student">
<h1>The market for citizens' assemblies</h1>
<section id="join" class="card">
  <h2>Join the class game</h2>
  <label for="code">Code from the teacher's screen</label><br>
  <input id="code" autocomplete="off" autocapitalize="characters" maxlength="12" size="10"><br>
  <label for="name">Your name</label><br>
  <input id="name" autocomplete="nickname" maxlength="24" size="20"><br>
  <button id="join-button" class="primary">Join</button>
  <div id="join-error" class="error" role="alert"></div>
</section>
<section id="play" hidden>
  <div><b id="who"></b> <span id="team" class="muted"></span></div>
  <div id="when" class="muted"></div>
  <div id="question" class="card question" hidden>
    <h2 id="headline"></h2>
    <ul id="facts"></ul>
    <div id="options"></div>
    <div id="countdown" class="muted"></div>
    <div id="answer-error" class="error" role="alert"></div>
  </div>
  <div id="idle" class="card muted">No decision for you right now: watch the teacher's screen.</div>
  <div id="org" class="card">
    <h2>Your organisation</h2>
    <table><tbody id="org-table"></tbody></table>
  </div>
  <label><input type="checkbox" id="tenders"> Ask me about each tender
    (otherwise my organisation's usual rule decides)</label>
  <h3>Your decisions</h3>
  <ul id="history"></ul>
  <div id="over" class="card" hidden>The game is over. Look at the teacher's screen.</div>
</section>
<script src="/student.js"></script>
</body></html>
"""

STUDENT_JS = r"""
"use strict";
const store = window.localStorage;
const $ = (id) => document.getElementById(id);
let token = store.getItem("dmpsim-token");
let version = 0, deadline = null, shown = null, timer = null, answered = null;

async function call(path, body) {
  const r = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                               body: JSON.stringify(body)});
  const data = await r.json();
  if (!r.ok) { const e = new Error(data.error || r.statusText); e.status = r.status; throw e; }
  return data;
}

function row(label, value) {
  const tr = document.createElement("tr");
  const a = document.createElement("td"); a.textContent = label;
  const b = document.createElement("td"); b.textContent = value;
  tr.append(a, b); return tr;
}

function render(v) {
  version = v.version;
  $("join").hidden = true; $("play").hidden = false;
  $("who").textContent = v.name + ": " + v.organisation.kind;
  $("team").textContent = v.team.length ? "(team: " + v.team.join(", ") + ")" : "";
  $("when").textContent = v.when;
  const o = v.organisation, t = $("org-table");
  t.replaceChildren(row("Status", o.status));
  if (o.practitioner !== null) {
    t.append(row("Reserves", o.reserves), row("Runway", o.runway),
             row("Reputation (0-1)", String(o.reputation)),
             row("Contracts now", String(o.contracts_now)),
             row("Processes completed", String(o.completed)),
             row("Their integrity (0-1)", o.integrity === null ? "none yet" : String(o.integrity)),
             row("A funder behind you", o.safety_net ? "yes" : "no"));
  }
  $("tenders").checked = v.ask_tenders;
  // A question this page has just answered may still be in a reply sent before the answer.
  const q = v.question && v.question.id !== answered ? v.question : null;
  $("question").hidden = !q; $("idle").hidden = !!q || v.finished;
  if (q && shown !== q.id) {
    shown = q.id; $("question").dataset.id = String(q.id);
    $("headline").textContent = q.headline;
    $("facts").replaceChildren(...q.facts.map((f) => {
      const li = document.createElement("li"); li.textContent = f; return li; }));
    $("options").replaceChildren(...q.options.map((opt) => {
      const b = document.createElement("button");
      b.textContent = opt.label; b.dataset.choice = opt.value;
      b.addEventListener("click", () => answer(q.id, opt.value));
      return b; }));
    $("answer-error").textContent = "";
  }
  deadline = q ? Date.now() + 1000 * q.seconds_left : null;
  tick();
  $("history").replaceChildren(...v.history.map((d) => {
    const li = document.createElement("li");
    const who = d.by ? d.by : "the rule (" + d.why_rule + ")";
    li.textContent = "Month " + d.step + ": " + d.summary + ". " + who + ": " +
      d.choice_label.split(":")[0] + (d.outcome ? ". " + d.outcome : "");
    return li; }));
  $("over").hidden = !v.finished;
}

function tick() {
  if (timer) { clearTimeout(timer); timer = null; }
  if (deadline === null) { $("countdown").textContent = ""; return; }
  const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  $("countdown").textContent = left > 0 ? left + " s left, then your organisation's usual rule decides"
                                        : "Time is up: the rule decides.";
  if (left > 0) timer = setTimeout(tick, 500);
}

async function answer(id, choice) {
  for (const b of $("options").querySelectorAll("button")) b.disabled = true;
  try {
    await call("/api/answer", {token: token, question: id, choice: choice});
    answered = id;
    if (shown === id) {       // a newer question may already be on the screen: leave it there
      $("question").hidden = true; $("idle").hidden = false; deadline = null; tick();
    }
  } catch (e) {
    $("answer-error").textContent = e.message;
  }
}

async function poll() {
  while (token) {
    try {
      const r = await fetch("/api/student?token=" + encodeURIComponent(token) + "&since=" + version);
      const data = await r.json();
      if (r.status === 403 || r.status === 400) { forget(data.error); return; }
      if (!r.ok) throw new Error(data.error);
      render(data);
    } catch (e) {
      await new Promise((done) => setTimeout(done, 1000));
    }
  }
}

function forget(why) {
  token = null; store.removeItem("dmpsim-token");
  $("play").hidden = true; $("join").hidden = false;
  $("join-error").textContent = why || "";
}

$("join-button").addEventListener("click", async () => {
  try {
    const data = await call("/api/join", {code: $("code").value, name: $("name").value});
    token = data.token; store.setItem("dmpsim-token", token); version = 0; shown = null;
    $("join-error").textContent = "";
    render(data); poll();
  } catch (e) { $("join-error").textContent = e.message; }
});
$("tenders").addEventListener("change", async (ev) => {
  try { await call("/api/tenders", {token: token, ask: ev.target.checked}); }
  catch (e) { $("answer-error").textContent = e.message; }
});
const given = new URLSearchParams(window.location.search).get("code");
if (given) $("code").value = given;
if (token) poll();
"""

TEACHER_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dmpsim class game: teacher</title><link rel="stylesheet" href="/play.css"></head>
<body class="teacher">
<header><h1>Class game: the market for citizens' assemblies <span id="when" class="muted"></span></h1></header>
<div id="key-error" class="error" role="alert"></div>
<section id="setup" class="card" hidden>
  <h2>Open a game</h2>
  <div class="form">
    <label>Scenario <select id="scenario"></select></label>
    <label>Seed <input id="seed" type="number" min="0" value="0" size="5"></label>
    <label>Seconds to answer <input id="time-limit" type="number" min="1" max="600" value="45" size="5"></label>
    <label><input id="ask-bids" type="checkbox" checked> Students decide their tenders too</label>
  </div>
  <div>Practitioners the students play:</div>
  <div id="seat-kinds" class="form"></div>
  <button id="open" class="primary">Open the game</button>
  <div id="setup-error" class="error" role="alert"></div>
</section>
<section id="game" hidden>
  <div class="card join">
    <span>Students open <b id="join-url" class="big"></b> and enter the code
    <b id="code" class="code"></b></span>
    <div id="reach" class="muted"></div>
  </div>
  <div class="controls">
    <button id="step">Step one month</button>
    <button id="play">&#9654; Play</button>
    <select id="pace" aria-label="Months per second"></select>
    <button id="answered">Go on when everyone has answered</button>
    <button id="pause">&#10074;&#10074; Pause</button>
    <button id="end">End and debrief</button>
    <button id="new">New game</button>
  </div>
  <div id="mode" class="muted"></div>
  <div id="control-error" class="error" role="alert"></div>
  <div id="game-error" class="error"></div>
  <div class="columns">
    <div class="card"><h2>Students' practitioners <span id="students" class="muted"></span></h2>
      <table class="seats"><thead><tr><th>Students</th><th>Practitioner</th><th>Status</th>
      <th>Reserves</th><th>Reputation</th><th>Integrity</th><th>Now</th></tr></thead>
      <tbody id="seats"></tbody></table></div>
    <div class="card"><h2>What the students did</h2><ul id="feed"></ul></div>
  </div>
  <div class="plots">
    <img id="plot-integrity" alt="Line chart: mean integrity of completed processes by year">
    <img id="plot-shares" alt="Stacked area chart: share of contract value by kind of practitioner">
    <img id="plot-pressure" alt="Bar chart: pressure episodes by type and response">
  </div>
  <div class="columns">
    <div class="card"><h2>The market so far</h2><table><tbody id="market"></tbody></table></div>
    <div class="card"><h2>In the market</h2><ul id="events"></ul></div>
  </div>
  <section id="debrief" class="card" hidden>
    <h2>Debrief</h2>
    <h3>The market with the students, and the same seed with the model's rule everywhere</h3>
    <table><thead><tr><th></th><th>With the students</th><th>Rule everywhere</th></tr></thead>
    <tbody id="debrief-market"></tbody></table>
    <h3>Each practitioner: the students' choices beside the rule's</h3>
    <div id="debrief-seats"></div>
    <h3>Who went bust, and why</h3>
    <ul id="debrief-busts"></ul>
  </section>
</section>
<script src="/teacher.js"></script>
</body></html>
"""

TEACHER_CSS = """
body.teacher { font-size: 16px; padding: 8px 14px; }
body.teacher h1 { font-size: 21px; }
.form label { display: inline-block; margin-right: 14px; }
.join { font-size: 20px; }
.big { font-size: 22px; }
.code { font-size: 30px; letter-spacing: 4px; color: var(--accent); }
.controls button { padding: 8px 12px; font-size: 16px; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(430px, 1fr));
           gap: 10px; }
.columns .card { overflow-x: auto; }
.seats td, .seats th { font-size: 15px; }
.present { color: var(--ok); }
.away { color: var(--muted); text-decoration: line-through; }
.thinking { color: var(--warn); font-weight: bold; }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 8px; }
.plots img { width: 100%; height: auto; background: #fff; border-radius: 6px; }
#feed li, #events li { margin-bottom: 3px; }
.differs { color: var(--warn); }
@media (max-width: 1100px) { .columns { grid-template-columns: 1fr; } }
"""

TEACHER_JS = r"""
"use strict";
const $ = (id) => document.getElementById(id);
const key = new URLSearchParams(window.location.hash.slice(1)).get("key") || "";
let version = 0, built = false, plotsVersion = -1, lastGame = null, code = "";

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}
function cells(values) {
  const tr = el("tr");
  for (const v of values) { const td = el("td"); if (v instanceof Node) td.append(v); else td.textContent = v; tr.append(td); }
  return tr;
}
async function call(path, body) {
  const r = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                               body: JSON.stringify({key: key, ...body})});
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || r.statusText);
  return data;
}

function buildSetup(setup) {
  if (built) return;
  built = true;
  $("scenario").replaceChildren(...setup.scenarios.map((s) => {
    const o = el("option", s); o.value = s; if (s === setup.scenario) o.selected = true; return o; }));
  $("seat-kinds").replaceChildren(...setup.seat_kinds.map((k) => {
    const l = el("label", null); const i = el("input"); i.type = "number"; i.min = "0";
    i.value = String(k.default); i.size = 3; i.dataset.kind = k.name; l.append(i, " " + k.label);
    return l; }));
  $("pace").replaceChildren(...setup.paces.map((p) => {
    const o = el("option", p === 1 ? "1 month a second" : p + " months a second"); o.value = String(p); if (p === 1) o.selected = true; return o; }));
  $("reach").textContent = setup.local
    ? "Only this computer can open it. To let students join from their own devices, start with: dmpsim app --play --host 0.0.0.0"
    : "Reachable from the network: anyone on it who has the code can join.";
}

function render(data) {
  buildSetup(data.setup);
  const g = data.game;
  lastGame = g;
  $("setup").hidden = !!g && !$("setup").dataset.forced;
  $("game").hidden = !g;
  if (!g) { $("setup").hidden = false; $("when").textContent = ""; return; }
  version = g.version; code = g.code;
  $("join-url").textContent = data.setup.join_url;
  $("code").textContent = g.code;
  $("when").textContent = "· " + g.when + " · " + g.scenario + ", seed " + g.seed;
  const words = {paused: "Paused", play: "Playing", answered: "Going on as everyone answers"};
  $("mode").textContent = g.finished ? "The game is over." :
    words[g.mode] + (g.waiting ? " · waiting for " + g.waiting + " answer(s)" : "");
  for (const b of ["step", "play", "answered", "pause", "end"]) $(b).disabled = g.finished;
  $("game-error").textContent = g.error || "";
  $("students").textContent = "(" + g.students + " students joined)";
  $("seats").replaceChildren(...g.seats.map((s) => {
    const names = el("td");
    if (!s.members.length) names.append(el("span", "nobody yet", "muted"));
    s.members.forEach((m, i) => { if (i) names.append(", "); names.append(el("span", m.name, m.present ? "present" : "away")); });
    let now = s.last_choice ? "last: " + s.last_choice : "";
    if (s.question) now = s.question.answered_by ? s.question.answered_by + " answered" :
      "thinking: " + Math.round(s.question.seconds_left) + " s";
    const tr = cells([s.short, s.status || "", s.reserves || "", s.reputation === undefined ? "" : String(s.reputation),
                      s.integrity === null || s.integrity === undefined ? "" : String(s.integrity), el("span", now, s.question ? "thinking" : "")]);
    tr.prepend(names); tr.dataset.seat = String(s.seat); tr.dataset.answers = String(s.answers);
    return tr; }));
  $("feed").replaceChildren(...g.feed.map((f) => el("li", "Month " + f.step + ": " + f.text)));
  $("market").replaceChildren(...g.market.map((m) => cells([m.label, m.value])));
  $("events").replaceChildren(...g.events.map((e) => el("li", "Month " + e.step + ": " + e.text, e.serious ? "thinking" : "")));
  if (g.plots_version !== plotsVersion) {
    plotsVersion = g.plots_version;
    for (const name of ["integrity", "shares", "pressure"])
      $("plot-" + name).src = "/api/teacher/plot/" + name + ".png?key=" + encodeURIComponent(key) + "&v=" + g.month;
  }
  renderDebrief(g.debrief);
}

function renderDebrief(d) {
  $("debrief").hidden = !d;
  if (!d) return;
  $("debrief-market").replaceChildren(...d.market.map((m) => cells([m.label, m.game, m.rule])));
  $("debrief-seats").replaceChildren(...d.seats.map((s) => {
    const box = el("div", null, "seat-debrief");
    const who = s.students.length ? s.students.join(", ") : "nobody";
    box.append(el("h3", who + ": " + s.kind + " — " + (s.organisation.status || "")));
    box.append(el("div", s.dilemmas.length + " dilemmas: chose differently from the rule " + s.differs +
      " times; gave in " + s.gave_in + " times (the rule would have " + s.rule_gave_in + "); the rule answered " +
      s.rule_answered + " (time ran out " + s.timed_out + "). Tenders: bid for " + s.tenders_bid + " of " +
      s.tenders_seen + " (the rule: " + s.tenders_rule_would_bid + "), won " + s.tenders_won + ". Integrity of its processes: " +
      (s.organisation.integrity === null || s.organisation.integrity === undefined ? "none completed" : s.organisation.integrity) + "."));
    const t = el("table"); t.append(cells(["Month", "Situation", "Chosen", "By", "The rule", "Rule's chance", "What came of it"]));
    for (const c of s.dilemmas) {
      const tr = cells(["" + c.step, c.summary, c.choice_label.split(":")[0],
        c.by ? c.by : "the rule (" + c.why_rule + ")", c.rule_label.split(":")[0],
        c.rule_chance === null ? "" : (c.rule_chance > 0 && c.rule_chance < 0.005 ? "<1%" : Math.round(100 * c.rule_chance) + "%"), c.outcome || ""]);
      if (c.differs) tr.className = "differs";
      t.append(tr);
    }
    box.append(t); return box; }));
  const bust = (b) => el("li", "Month " + b.step + ": " + (b.students ? b.students + "'s " : "a ") +
    b.kind.replace("_", " ").replace("_", " ") + " " + b.why);
  $("debrief-busts").replaceChildren(...(d.busts.length ? d.busts.map(bust) : [el("li", "Nobody went bust.")]),
    el("li", "With the rule everywhere: " + d.busts_rule.length + " went bust."));
}

async function poll() {
  while (true) {
    try {
      const r = await fetch("/api/teacher?key=" + encodeURIComponent(key) + "&since=" + version +
                            "&code=" + encodeURIComponent(code));
      const data = await r.json();
      if (r.status === 403) { $("key-error").textContent = data.error + " (open the address printed in the terminal)"; return; }
      if (!r.ok) throw new Error(data.error);
      render(data);
    } catch (e) { await new Promise((done) => setTimeout(done, 1000)); }
  }
}

async function control(action, extra) {
  try { $("control-error").textContent = ""; await call("/api/teacher/control", {action: action, ...extra}); }
  catch (e) { $("control-error").textContent = e.message; }
}
$("step").addEventListener("click", () => control("step"));
$("play").addEventListener("click", () => control("play", {pace: Number($("pace").value)}));
$("pace").addEventListener("change", () => { if (lastGame && lastGame.mode === "play") control("play", {pace: Number($("pace").value)}); });
$("answered").addEventListener("click", () => control("answered"));
$("pause").addEventListener("click", () => control("paused"));
$("end").addEventListener("click", () => control("end"));
$("new").addEventListener("click", () => { $("setup").dataset.forced = "1"; $("setup").hidden = false; });
$("open").addEventListener("click", async () => {
  const seats = {};
  for (const i of $("seat-kinds").querySelectorAll("input")) seats[i.dataset.kind] = Number(i.value);
  try {
    await call("/api/teacher/new", {scenario: $("scenario").value, seed: Number($("seed").value),
      seats: seats, time_limit: Number($("time-limit").value), ask_bids: $("ask-bids").checked});
    delete $("setup").dataset.forced; $("setup").hidden = true; $("setup-error").textContent = "";
  } catch (e) { $("setup-error").textContent = e.message; }
});
poll();
"""

FILES: dict[str, tuple[bytes, str]] = {
    "/": (STUDENT_HTML.encode(), "text/html; charset=utf-8"),
    "/teacher": (TEACHER_HTML.encode(), "text/html; charset=utf-8"),
    "/play.css": ((COMMON_CSS + TEACHER_CSS).encode(), "text/css; charset=utf-8"),
    "/student.js": (STUDENT_JS.encode(), "text/javascript; charset=utf-8"),
    "/teacher.js": (TEACHER_JS.encode(), "text/javascript; charset=utf-8"),
}
"""Path -> (body, content type) of every page and file the server gives."""
