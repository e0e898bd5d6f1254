// The drums page: a beat on a drum machine's grid (drawn, opened from a MIDI file, or generated), played
// by a Web Audio kit with a playhead, grooved or drumified by a GrooVAE model, and a Beat Blender: four
// beats at the corners of a pad, the point's beat decoded from the mix of their codes. What the grid
// shows is what the next request sends (as a MIDI file made from it). It uses only the vaekit HTTP API.
import { Requests, decode, getJSON, models, rangeControl, showError, verb } from "/static/api.js";
import { PLAIN, STEPS, beatFile, beatLink, beatOf, copyBeat, describeBeat, emptyBeat, hitsOf, placesOf }
  from "./beat.js";
import { LEFT, cellAt, drawGrid } from "./beatgrid.js";
import { DrumPlayer } from "./drumkit.js";
import { padEvents } from "./pad.js";

const $ = (id) => document.getElementById(id);
const requests = new Requests();
const player = new DrumPlayer();
const CORNERS = ["A", "B", "C", "D"]; // top left, top right, bottom left, bottom right
let beatModel = null; // the name of a drums model (Generate, Beat Blender)
let grooveModel = null; // the name of a model with the groove and drumify verbs
let beat = emptyBeat();
let label = "your beat";
const history = []; // earlier beats, for undo
let song = null; // {name, windows}: the beat file opened, a 2-bar window each
let cursor = null; // {drum, step} while the grid has the focus
let playing = null; // "grid" or "blend"
let playhead = null;
let fills = 0; // how many times corners were generated: the seed of the next
const corners = [null, null, null, null]; // {beat, label, z}
const blend = { u: 0.5, v: 0.5, beat: null, text: "", busy: false, pending: false };
const [velocityLabel, velocity] = rangeControl("velocity", "new hits' velocity",
  { min: 10, max: 127, step: 1, value: PLAIN, format: (v) => String(v) });
const [loosenessLabel, looseness] = rangeControl("looseness", "looseness", { min: 0, max: 1.5, step: 0.05, value: 0 });
const [temperatureLabel, temperature] = rangeControl("temperature", "temperature", { min: 0, max: 2, step: 0.05, value: 1 });
$("velocity-box").append(velocityLabel);
$("groove-looseness").append(loosenessLabel);
$("generate-temperature").append(temperatureLabel);

// messages --------------------------------------------------------------------------------------

function status(text) { $("status").textContent = text; }

function fail(where, error) {
  showError($(`error-${where}`), error);
  status("");
}

function clearErrors() {
  for (const e of document.querySelectorAll(".error")) e.textContent = "";
}

function tempo() {
  const t = Number($("tempo").value);
  return Number.isFinite(t) ? Math.max(40, Math.min(240, t)) : 100;
}

// the beat on the grid ----------------------------------------------------------------------------

// A cell's width that fills the box holding `canvas` (the row labels take LEFT pixels), within reason.
function fit(canvas, steps, left = LEFT, most = 32) {
  return Math.max(5, Math.min(most, Math.floor((canvas.parentElement.clientWidth - 4 - left) / steps)));
}

function showBeat() {
  const canvas = $("grid");
  const cell = fit(canvas, beat.steps);
  drawGrid(canvas, beat, { cell, row: 26, playhead: playing === "grid" ? playhead : null, cursor });
  canvas.dataset.cell = cell;
  const text = describeBeat(beat, label);
  canvas.setAttribute("aria-label", text);
  canvas.dataset.hits = hitsOf(beat).length;
  canvas.dataset.places = placesOf(beat).join(" "); // drum:step of each hit, for tests and scripts
  canvas.dataset.playhead = playing === "grid" && playhead !== null ? playhead.toFixed(2) : "";
  if ($("beat-name").textContent !== text) $("beat-name").textContent = text;
  $("undo").disabled = !history.length || document.querySelector("main").getAttribute("aria-busy") === "true";
  $("undo").dataset.off = history.length ? "" : "1";
}

function showAll() {
  showBeat();
  beatLink($("download"), beat, tempo(), `${label.replace(/[^\w.-]+/g, "_")}.mid`);
}

function setBeat(next, name, remember = true) {
  if (remember) history.push({ beat, label });
  if (history.length > 30) history.shift();
  beat = next;
  label = name;
  showAll();
}

function edit(drum, step) {
  const next = copyBeat(beat);
  next.vel[drum][step] = next.vel[drum][step] ? 0 : Number(velocity.value);
  next.off[drum][step] = 0;
  setBeat(next, label.endsWith("(edited)") || label === "your beat" ? label : `${label} (edited)`);
}

function gridEvents() {
  const canvas = $("grid");
  canvas.addEventListener("click", (e) => {
    const box = canvas.getBoundingClientRect();
    const cell = cellAt(beat, e.clientX - box.left, e.clientY - box.top, Number(canvas.dataset.cell));
    if (cell) {
      cursor = cell;
      edit(cell.drum, cell.step);
    }
  });
  canvas.addEventListener("focus", () => { cursor = cursor || { drum: 0, step: 0 }; showBeat(); });
  canvas.addEventListener("blur", () => { cursor = null; showBeat(); });
  canvas.addEventListener("keydown", (e) => {
    const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (moves[e.key]) {
      e.preventDefault();
      cursor = { drum: Math.max(0, Math.min(8, cursor.drum + moves[e.key][0])),
        step: Math.max(0, Math.min(beat.steps - 1, cursor.step + moves[e.key][1])) };
      showBeat();
    } else if (e.key === " " || e.key === "Enter") {
      e.preventDefault();
      edit(cursor.drum, cursor.step);
    }
  });
}

// playing -----------------------------------------------------------------------------------------

function play(what) {
  const source = what === "grid" ? () => beat : () => blend.beat;
  if (!source()) return;
  playing = what;
  status(what === "grid" ? "playing the beat" : "playing the blend");
  player.play(source, tempo(), {
    loop: $("loop").checked,
    onStep: (at) => {
      playhead = at;
      if (what === "grid") showBeat(); else showBlend(false);
    },
    onEnd: () => {
      if ($("status").textContent.startsWith("playing")) status("stopped");
      playing = playhead = null;
      showBeat();
      showBlend(false);
    },
  });
}

// files and verbs ---------------------------------------------------------------------------------

function barsOf(windows) {
  // a window follows the one before where its first bar is that one's second, else it comes after a gap
  const bars = [1];
  windows.slice(1).forEach((w, i) => {
    const before = windows[i];
    const follows = w.vel.every((row, d) => row.slice(0, 16).every((v, s) => (v > 0) === (before.vel[d][s + 16] > 0)));
    bars.push(bars[i] + (follows ? 1 : 2));
  });
  return bars;
}

function pickBars(k) {
  const bar = song.bars[k];
  $("bars").value = k;
  setBeat(song.windows[k], `${song.name}, bars ${bar}–${bar + 1}`);
}

async function openBeat(file) {
  clearErrors();
  const model = grooveModel || beatModel;
  status(`reading ${file.name}…`);
  const answer = await requests.start((signal) => verb("items", { model, file }, "json", null, { signal }),
    (e) => fail("beat", e));
  if (!answer) return;
  const windows = answer.items.map((item) => beatOf(item.values));
  song = { name: file.name, windows, bars: barsOf(windows) };
  $("bars").replaceChildren(...song.bars.map((b, k) => new Option(`bars ${b}–${b + 1}`, k)));
  $("bars").dataset.off = windows.length > 1 ? "" : "1";
  $("bars").disabled = windows.length < 2;
  $("bars-label").hidden = windows.length < 2;
  pickBars(0);
  status(`${file.name}: ${windows.length} two-bar window(s)${grooveModel ? "" : " (quantised: no groove model is served)"}`);
}

async function treat(name, file, what) {
  clearErrors();
  status(`${name === "groove" ? "grooving" : "drumifying"} ${what}…`);
  const answer = await requests.start((signal) => verb(`verbs/${name}`, { model: grooveModel, file,
    temperature: name === "groove" ? looseness.value : 0, seed: $("seed").value }, "json", null, { signal }),
  (e) => fail(name, e));
  if (!answer) return;
  const result = beatOf(answer.items[0].values);
  const source = beatOf(answer.items[0].input);
  setBeat(result, `${what}, ${name === "groove" ? "grooved" : "drumified"}`);
  const kept = placesOf(result).join() === placesOf(source).join();
  status(name === "groove"
    ? `grooved by ${grooveModel}: ${kept ? "the same hits" : "the hits changed"}, now played (undo brings back the score)`
    : `drumified by ${grooveModel}: ${hitsOf(result).length} hits on ${new Set(hitsOf(source).map((h) => h.step)).size} onsets`);
}

function groove() {
  if (!hitsOf(beat).length) return fail("groove", "the grid is empty: draw a beat or open one first");
  treat("groove", beatFile(beat, tempo(), "beat.mid"), label);
}

function drumify() {
  if (!hitsOf(beat).length) return fail("drumify", "the grid is empty: tap a rhythm on any row first");
  treat("drumify", beatFile(beat, tempo(), "rhythm.mid"), label);
}

async function generate(count, seed) {
  return verb("generate", { model: beatModel, count, temperature: temperature.value, seed });
}

async function generateBeat() {
  clearErrors();
  status(`generating a beat with ${beatModel}…`);
  const seed = $("seed").value;
  const answer = await requests.start(() => generate(1, seed), (e) => fail("generate", e));
  if (!answer) return;
  setBeat(beatOf(answer.items[0].values), `beat ${seed} from ${beatModel}`);
  status(`generated by ${beatModel} (seed ${seed}): press Groove to have it played`);
}

// the Beat Blender --------------------------------------------------------------------------------

function showCorners() {
  $("corners").replaceChildren();
  CORNERS.forEach((name, k) => {
    const box = Object.assign(document.createElement("div"), { className: "corner" });
    const title = Object.assign(document.createElement("h3"), { textContent: `${name} · ${["top left", "top right",
      "bottom left", "bottom right"][k]}` });
    const canvas = Object.assign(document.createElement("canvas"), { id: `corner-${k}` });
    canvas.setAttribute("role", "img");
    const c = corners[k];
    const text = Object.assign(document.createElement("p"), { textContent: c ? c.label : "empty" });
    const take = Object.assign(document.createElement("button"), { textContent: "↑ the beat on the grid",
      className: "act", id: `corner-take-${k}` });
    box.append(title, canvas, text, take);
    $("corners").append(box);
    drawGrid(canvas, c ? c.beat : emptyBeat(), { cell: fit(canvas, STEPS, 0, 12), row: 7, labels: false });
    canvas.setAttribute("aria-label", c ? describeBeat(c.beat, `corner ${name}`) : `corner ${name}: empty`);
    take.addEventListener("click", () => setCorner(k, copyBeat(beat), label));
  });
}

function setCorner(k, cornerBeat, name) {
  clearErrors();
  if (!hitsOf(cornerBeat).length) return fail("blend", "that beat is empty");
  corners[k] = { beat: cornerBeat, label: name, z: null };
  showCorners();
  drawPad();
  decodeBlend();
}

async function fillCorners() {
  clearErrors();
  fills += 1;
  status(`generating four beats with ${beatModel}…`);
  const answer = await requests.start(() => generate(4, fills), (e) => fail("blend", e));
  if (!answer) return;
  answer.items.forEach((item, k) => { corners[k] = { beat: beatOf(item.values), label: `beat ${fills}.${k + 1} from ${beatModel}`, z: null }; });
  showCorners();
  drawPad();
  status("four new beats at the corners: drag the point on the pad");
  decodeBlend();
}

async function codes() {
  const missing = corners.map((c, k) => [c, k]).filter(([c]) => !c.z);
  if (!missing.length) return;
  const files = missing.map(([c, k]) => beatFile(c.beat, tempo(), `corner-${CORNERS[k]}.mid`));
  const answer = await verb("encode", { model: beatModel, files });
  missing.forEach(([c], i) => { c.z = answer.z[i]; });
}

function weights(u, v) { return [(1 - u) * (1 - v), u * (1 - v), (1 - u) * v, u * v]; }

function mixText() {
  const w = weights(blend.u, blend.v);
  return CORNERS.map((name, k) => `${Math.round(w[k] * 100)}% ${name}`).join(", ");
}

function drawPad() {
  const canvas = $("pad"), ctx = canvas.getContext("2d"), size = canvas.width;
  const grad = ctx.createLinearGradient(0, 0, size, size);
  grad.addColorStop(0, "#eef2ff");
  grad.addColorStop(1, "#fdf2f8");
  ctx.fillStyle = grad;
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = "#e2e8f0";
  for (let k = 1; k < 4; k += 1) {
    ctx.beginPath(); ctx.moveTo((k * size) / 4, 0); ctx.lineTo((k * size) / 4, size); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(0, (k * size) / 4); ctx.lineTo(size, (k * size) / 4); ctx.stroke();
  }
  ctx.font = "bold 16px system-ui, sans-serif";
  ctx.fillStyle = "#334155";
  const at = [[8, 8, "left", "top"], [size - 8, 8, "right", "top"], [8, size - 8, "left", "bottom"],
    [size - 8, size - 8, "right", "bottom"]];
  at.forEach(([x, y, align, base], k) => {
    ctx.textAlign = align;
    ctx.textBaseline = base;
    ctx.fillStyle = corners[k] ? "#334155" : "#94a3b8";
    ctx.fillText(CORNERS[k], x, y);
  });
  const ready = corners.every(Boolean);
  canvas.setAttribute("aria-valuetext", ready ? mixText() : "fill the corners first");
  if (!ready) return;
  ctx.fillStyle = "#dc2626";
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.arc(blend.u * size, blend.v * size, 10, 0, 2 * Math.PI);
  ctx.fill();
  ctx.stroke();
  ctx.lineWidth = 1;
}

async function decodeBlend() {
  if (!corners.every(Boolean)) return;
  if (blend.busy) { blend.pending = true; return; }
  blend.busy = true;
  try {
    do {
      blend.pending = false;
      await codes();
      const w = weights(blend.u, blend.v), text = mixText();
      const z = corners[0].z.map((_, d) => corners.reduce((sum, c, k) => sum + w[k] * c.z[d], 0));
      const answer = await decode(beatModel, [z]);
      blend.beat = beatOf(answer.items[0].values);
      blend.text = text;
      showBlend();
      showError($("error-blend"), "");
    } while (blend.pending);
    if ($("blend-autoplay").checked && playing !== "blend") play("blend");
  } catch (e) {
    blend.beat = null;
    showBlend();
    fail("blend", e);
  } finally {
    blend.busy = false;
  }
}

function showBlend(links = true) {
  const canvas = $("blend-grid");
  $("blend-play").disabled = $("blend-edit").disabled = !blend.beat;
  drawGrid(canvas, blend.beat || emptyBeat(STEPS), { cell: fit(canvas, STEPS), row: 20,
    playhead: playing === "blend" ? playhead : null });
  canvas.dataset.playhead = playing === "blend" && playhead !== null ? playhead.toFixed(2) : "";
  if (!links) return;
  canvas.dataset.hits = blend.beat ? hitsOf(blend.beat).length : 0;
  $("blend-mix").textContent = blend.beat ? `The blend of ${blend.text}` :
    corners.every(Boolean) ? "" : "Fill the corners to blend.";
  canvas.setAttribute("aria-label", blend.beat ? describeBeat(blend.beat, `blend of ${blend.text}`) : "no blend yet");
  beatLink($("blend-keep"), blend.beat, tempo(), `blend-${Math.round(blend.u * 100)}-${Math.round(blend.v * 100)}.mid`);
}

function movePad(u, v) {
  blend.u = Math.max(0, Math.min(1, u));
  blend.v = Math.max(0, Math.min(1, v));
  drawPad();
  decodeBlend();
}

// the models --------------------------------------------------------------------------------------

function offer(button, on, why, where) {
  button.dataset.off = on ? "" : "1";
  button.disabled = !on;
  if (!on) $(`error-${where}`).textContent = why;
}

async function chooseModels() {
  const list = await models("midi");
  const kinds = await Promise.all(list.map((m) => getJSON(`/api/models/${encodeURIComponent(m.name)}`)
    .then((info) => info.config?.data?.kind, () => null)));
  const beats = list.filter((m, k) => kinds[k] === "drums"), grooves = list.filter((m) => m.verbs?.groove);
  for (const [select, found] of [[$("beat-model"), beats], [$("groove-model"), grooves]]) {
    select.replaceChildren(...found.map((m) => new Option(m.name, m.name)));
    select.dataset.off = found.length > 1 ? "" : "1";
    select.disabled = found.length < 2;
  }
  beatModel = beats[0]?.name || null;
  grooveModel = grooves[0]?.name || null;
  offer($("generate"), beatModel, "no drums model is served (vaekit serve drums_2bar)", "generate");
  offer($("fill-corners"), beatModel, "the blender needs a drums model (vaekit serve drums_2bar)", "blend");
  for (const id of ["groove", "drumify"]) {
    offer($(id), grooveModel, `no GrooVAE model is served (vaekit serve groove_2bar)`, id);
  }
  offer($("rhythm-file"), grooveModel, "", "drumify");
  offer($("file"), beatModel || grooveModel, "no drum model is served", "beat");
  status(beatModel || grooveModel ? `beats from ${beatModel || "—"}, grooves from ${grooveModel || "—"}` :
    "no drum model is served: vaekit serve drums_2bar groove_2bar");
}

// wiring ------------------------------------------------------------------------------------------

$("beat-model").addEventListener("change", (e) => {
  beatModel = e.target.value;
  corners.forEach((c) => { if (c) c.z = null; });
  decodeBlend();
});
$("groove-model").addEventListener("change", (e) => { grooveModel = e.target.value; });
$("file").addEventListener("change", (e) => {
  const file = e.target.files[0];
  e.target.value = ""; // the beat in use is named above the grid
  if (file) openBeat(file);
});
$("rhythm-file").addEventListener("change", (e) => {
  const file = e.target.files[0];
  e.target.value = "";
  if (file) treat("drumify", file, file.name);
});
$("bars").addEventListener("change", (e) => pickBars(Number(e.target.value)));
$("undo").addEventListener("click", () => {
  const last = history.pop();
  if (last) setBeat(last.beat, last.label, false);
});
$("clear").addEventListener("click", () => setBeat(emptyBeat(), "your beat"));
$("play").addEventListener("click", () => play("grid"));
$("stop").addEventListener("click", () => player.stop());
$("tempo").addEventListener("change", () => { if (playing) play(playing); showAll(); });
$("groove").addEventListener("click", groove);
$("drumify").addEventListener("click", drumify);
$("generate").addEventListener("click", generateBeat);
$("fill-corners").addEventListener("click", fillCorners);
$("blend-play").addEventListener("click", () => play("blend"));
$("blend-edit").addEventListener("click", () => {
  if (blend.beat) setBeat(copyBeat(blend.beat), `the blend of ${blend.text}`);
});
gridEvents();
padEvents($("pad"), {
  ready: () => corners.every(Boolean), at: () => [blend.u, blend.v], move: movePad, play: () => play("blend"),
  notReady: () => fail("blend", "put a beat at each corner first (or press “four new beats”)"),
});
showAll();
showCorners();
drawPad();
showBlend();
await chooseModels();
