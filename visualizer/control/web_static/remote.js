// The web remote's page: it speaks the OSC server's addresses over a
// WebSocket ({"address": "/scene", "args": ["club"]}) and draws the state the
// show sends back. It reconnects by itself when the show restarts.
"use strict";

const $ = (id) => document.getElementById(id);
const FLAGS = ["blackout", "freeze", "record", "auto"];
let ws = null;
let state = null;
let catalogue = [];
let thumbs = new Set();
let nextId = 1;
let retry = 400;
let dragging = null;          // the slider under the thumb: the show's value waits
let paramsFor = "";           // the scene whose sliders are built
let looksFor = "";            // the scene whose look buttons are built
let run = Date.now();         // thumbnails of this run of the show

function send(address, args = []) {
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    toast("not connected to the show");
    return false;
  }
  ws.send(JSON.stringify({ address, args, id: nextId++ }));
  return true;
}

function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 2500);
}

// -- connecting --------------------------------------------------------------

async function start() {
  const r = await fetch("/api/state", { cache: "no-store" }).catch(() => null);
  if (r && (r.status === 401 || r.status === 429)) {
    askPin(r.status === 429 ? (await r.json()).error : "");
    return;
  }
  connect();
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  ws = new WebSocket(`${proto}://${location.host}/ws`);
  ws.onopen = () => { retry = 400; linked(true); };
  ws.onmessage = (e) => receive(JSON.parse(e.data));
  ws.onclose = () => { linked(false); ws = null; setTimeout(start, retry); retry = Math.min(retry * 1.6, 3000); };
}

function linked(on) {
  $("link").classList.toggle("on", on);
  $("banner").hidden = on;
  document.body.classList.toggle("offline", !on);
}

function askPin(why) {
  $("pin").hidden = false;
  $("pin-why").textContent = why || "Enter the PIN shown on the show's HUD (H).";
  $("pin-input").focus();
}

$("pin").addEventListener("submit", async (e) => {
  e.preventDefault();
  const pin = $("pin-input").value.trim();
  const r = await fetch("/auth", { method: "POST", headers: { "Content-Type": "application/json" },
                                   body: JSON.stringify({ pin }) }).catch(() => null);
  if (r && r.ok) {
    $("pin").hidden = true;
    connect();
  } else {
    $("pin-input").value = "";
    askPin(r ? (await r.json()).error : "the show cannot be reached");
  }
});

// -- what the show says ------------------------------------------------------

function receive(m) {
  if (m.type === "hello") {
    catalogue = m.scenes;
    thumbs = new Set(m.thumbs);
    run = Date.now();
    paramsFor = "";
    buildScenes();
  } else if (m.type === "thumb") {
    thumbs.add(m.key);
    const img = document.querySelector(`.tile[data-key="${CSS.escape(m.key)}"] img`);
    if (img) img.src = thumbUrl(m.key);
  } else if (m.type === "state") {
    state = m.state;
    draw();
  } else if (m.type === "reply" && m.error) {
    toast(m.error);
  }
}

function thumbUrl(key) {
  return `/api/thumb/${encodeURIComponent(key)}?run=${run}`;
}

function buildScenes() {
  const grid = $("scenes");
  grid.textContent = "";
  catalogue.forEach((scene, i) => {
    const tile = document.createElement("button");
    tile.className = "tile";
    tile.dataset.key = scene.key;
    tile.title = scene.description || scene.title;
    const img = document.createElement("img");
    img.alt = "";
    if (thumbs.has(scene.key)) img.src = thumbUrl(scene.key);
    const num = document.createElement("span");
    num.className = "num";
    num.textContent = i + 1;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = scene.title || scene.key;
    tile.append(img, num, name);
    tile.addEventListener("click", () => send("/scene", [scene.key]));
    grid.append(tile);
  });
  if (state) draw();
}

function draw() {
  const s = state;
  $("fps").textContent = s.fps ? s.fps.toFixed(0) : "–";
  $("latency").textContent = s.latency_ms == null ? "–" : s.latency_ms.toFixed(0);
  $("tempo").textContent = s.tempo > 0 ? s.tempo.toFixed(1) : "–";
  $("note").textContent = s.note || "–";
  const level = Math.max(-60, Math.min(0, s.level_db));
  const fill = $("meter-fill");
  fill.style.width = `${((level + 60) / 60) * 100}%`;
  fill.classList.toggle("hot", s.level_db > -12);
  fill.classList.toggle("clip", s.level_db > -3);
  $("level").textContent = `${Math.round(s.level_db)} dB`;
  for (const flag of FLAGS) $(flag).classList.toggle("on", !!s[flag]);
  drawCue(s);
  for (const tile of document.querySelectorAll(".tile")) {
    tile.classList.toggle("current", tile.dataset.key === s.scene);
    tile.classList.toggle("pending", tile.dataset.key === s.switching && s.switching !== s.scene);
  }
  drawLooks(s);
  drawEffects(s);
  drawEffectParams(s);
  drawParams(s);
}

function title(key) {
  const scene = catalogue.find((c) => c.key === key);
  return scene ? scene.title || key : key || "–";
}

function drawCue(s) {
  $("scene-name").textContent = title(s.scene);
  const cue = s.cue;
  if (cue) {
    $("song").textContent = `${cue.song_index + 1}/${cue.songs} ${cue.song} · cue ${cue.index + 1}/${cue.count}`;
    $("next-name").textContent = cue.next ? title(cue.next) : "end of set";
  } else {
    $("song").textContent = "no setlist · prev and next step scenes";
    const keys = s.scenes;
    $("next-name").textContent = title(s.switching || keys[(keys.indexOf(s.scene) + 1) % keys.length]);
  }
}

// -- the current scene's looks: a button each, the chosen one lit --------------

// A look's or an effect's button: `data` names it, a click sends `address` with `args`.
function namedButton(className, data, name, address, args = []) {
  const button = document.createElement("button");
  button.className = className;
  Object.assign(button.dataset, data);
  button.textContent = name.replace(/_/g, " ");
  button.addEventListener("click", () => send(address, args));
  return button;
}

function drawLooks(s) {
  const box = $("looks");
  const looks = s.looks || [];
  if (looksFor !== s.scene || box.children.length !== looks.length) {
    looksFor = s.scene;
    box.textContent = "";
    for (const name of looks) box.append(namedButton("look", { look: name }, name, "/look", [name]));
  }
  box.hidden = $("looks-title").hidden = !looks.length;
  $("looks-title").textContent = `Looks · ${title(s.scene)}`;
  for (const button of box.children) button.classList.toggle("on", button.dataset.look === s.look);
}

// -- the effects: a switch each, lit while it is on -----------------------------

function drawEffects(s) {
  const box = $("effects");
  const names = s.effects || [];
  if (box.children.length !== names.length) {
    box.textContent = "";
    for (const name of names) box.append(namedButton("look fx", { fx: name }, name, `/fx/${name}`));
  }
  box.hidden = $("effects-title").hidden = !names.length;
  const on = new Set(s.fx || []);
  for (const button of box.children) button.classList.toggle("on", on.has(button.dataset.fx));
}

// -- the current scene's parameters -----------------------------------------

function drawParams(s) {
  const box = $("params");
  if (paramsFor !== s.scene || box.children.length !== Math.max(1, s.params.length)) {
    paramsFor = s.scene;
    box.textContent = "";
    $("params-title").textContent = `Parameters · ${title(s.scene)}`;
    if (!s.params.length) {
      box.innerHTML = '<div class="none">this scene has no parameters</div>';
    }
    for (const p of s.params) box.append(paramControl(`/param/${s.scene}`, p));
  }
  updateControls(box, s.params);
}

// Sliders of the effects that are on, under their switches.
let fxFor = "";
function drawEffectParams(s) {
  const box = $("fx-params");
  const on = s.fx_params || {};
  const key = Object.keys(on).join(",");
  if (fxFor !== key) {
    fxFor = key;
    box.textContent = "";
    for (const [name, params] of Object.entries(on)) {
      const group = document.createElement("div");
      group.className = "fx-group";
      group.dataset.fx = name;
      const head = document.createElement("h3");
      head.textContent = name.replace(/_/g, " ");
      group.append(head);
      const looks = document.createElement("div");
      looks.className = "looks";
      for (const look of ((s.fx_looks || {})[name] || {}).looks || []) {
        looks.append(namedButton("look", { look }, look, `/fxlook/${name}`, [look]));
      }
      if (looks.children.length) group.append(looks);
      for (const p of params) group.append(paramControl(`/fx/${name}`, p));
      box.append(group);
    }
  }
  for (const [name, params] of Object.entries(on)) {
    const group = box.querySelector(`.fx-group[data-fx="${CSS.escape(name)}"]`);
    if (!group) continue;
    updateControls(group, params);
    const chosen = ((s.fx_looks || {})[name] || {}).look;
    for (const button of group.querySelectorAll(".look")) {
      button.classList.toggle("on", button.dataset.look === chosen);
    }
  }
}

function updateControls(box, params) {
  for (const p of params) {
    const row = box.querySelector(`[data-name="${CSS.escape(p.name)}"]`);
    if (!row) continue;
    if (p.type === "bool") {
      row.querySelector(".switch").classList.toggle("on", p.value >= 0.5);
      row.querySelector(".switch").textContent = p.value >= 0.5 ? "on" : "off";
    } else if (dragging !== row) {
      row.querySelector("input").value = p.value;
      row.querySelector("output").textContent = shown(p.value, p.type);
    }
  }
}

function shown(value, type) {
  return type === "int" ? String(Math.round(value)) : Number(value).toFixed(2);
}

function paramControl(prefix, p) {
  const row = document.createElement("div");
  row.className = "param";
  row.dataset.name = p.name;
  const head = document.createElement("header");
  const name = document.createElement("span");
  name.textContent = p.name;
  const out = document.createElement("output");
  head.append(name, out);
  row.append(head);
  const address = `${prefix}/${p.name}`;
  if (p.type === "bool") {
    const button = document.createElement("button");
    button.className = "switch";
    button.addEventListener("click", () => send(address, [p.value >= 0.5 ? 0 : 1]));
    row.append(button);
    return row;
  }
  const input = document.createElement("input");
  input.type = "range";
  input.min = p.low;
  input.max = p.high;
  input.step = p.type === "int" ? 1 : (p.high - p.low) / 200;
  input.value = p.value;
  out.textContent = shown(p.value, p.type);
  let queued = false;
  const push = () => {
    queued = false;
    send(address, [Number(input.value)]);
  };
  input.addEventListener("input", () => {
    dragging = row;
    out.textContent = shown(input.value, p.type);
    if (!queued) { queued = true; requestAnimationFrame(push); }   // at most once a frame
  });
  input.addEventListener("change", () => { push(); dragging = null; });
  row.append(input);
  return row;
}

// -- the buttons -------------------------------------------------------------

for (const button of document.querySelectorAll("[data-address]")) {
  button.addEventListener("click", () => send(button.dataset.address));
}
for (const flag of FLAGS) {
  $(flag).addEventListener("click", () => send(`/${flag}`, [state && state[flag] ? 0 : 1]));
}
// A tap counts when the finger lands, not when it lifts.
$("tap").addEventListener("pointerdown", (e) => { e.preventDefault(); send("/tap"); });

// -- the live preview: the next picture once the last has arrived -------------

function preview() {
  const img = $("preview");
  if (document.hidden || !ws) { setTimeout(preview, 1000); return; }
  img.onload = () => setTimeout(preview, 200);
  img.onerror = () => setTimeout(preview, 1000);
  img.src = `/api/preview.jpg?t=${Date.now()}`;
}

start();
preview();
