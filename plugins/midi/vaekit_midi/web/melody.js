// The melody page: two songs with a bar picker each, interpolation, generation, attribute sliders and a
// four-corner blender, drawn as piano rolls a musician reads and played by a small Web Audio synthesizer.
// One state: what the page shows is what the next request uses. It uses only the vaekit HTTP API.
import { Requests, decode, example, generateControls, getJSON, modelPicker, rangeControl, showError, verb }
  from "/static/api.js";
import { Player, clipLink, midiFile } from "./midi.js";
import { padEvents } from "./pad.js";
import { describeNotes, drawKeys, drawRoll, meterOf, notesOf, pitchRange, stepsOf } from "./roll.js";

const $ = (id) => document.getElementById(id);
const requests = new Requests();
const player = new Player();
let model = null; // the model's row from /api/models
let epoch = 0; // bumped on every change of model: answers for an earlier model are dropped
const songs = { a: null, b: null }; // {file, name, source, windows, places, pick}
let result = null; // {items, labels, title, name, marks}
let transformBase = null; // {item, label}: what the attribute sliders move, fixed until a new result
let playhead = null; // {index, step} while playing

// messages --------------------------------------------------------------------------------------

function status(text) { $("status").textContent = text; }

function clearErrors() {
  for (const e of document.querySelectorAll(".error")) e.textContent = "";
}

// An error beside the control that caused it; the result it would have replaced is cleared.
function fail(where, error, clearResult = true) {
  showError($(`error-${where}`), error);
  status("");
  if (clearResult) {
    result = null;
    transformBase = null;
    showResult();
  }
}

// songs and the bar picker ----------------------------------------------------------------------

// Where each window of a song starts, in bars: one bar after the one before where their notes overlap
// so (windows step a bar through the song), else after it (a passage the model skipped: an empty bar,
// or a repeat it reads once), marked as a jump.
function placeWindows(windows) {
  const places = [];
  const onsets = (item, from, to, shift) => new Set(notesOf(item).filter((n) => n.start > from && n.start < to)
    .map((n) => `${n.start - shift}:${n.pitch}:${n.track}`));
  windows.forEach((w, i) => {
    if (i === 0) return places.push({ bar: 0, jump: false });
    const prev = windows[i - 1], { bar } = meterOf(w), steps = stepsOf(w), bars = steps / bar;
    let shift = null;
    for (let d = 1; d < bars && shift === null; d += 1) {
      const a = onsets(prev, d * bar, steps, d * bar), b = onsets(w, 0, steps - d * bar, 0);
      if (a.size === b.size && [...a].every((k) => b.has(k))) shift = d;
    }
    return places.push({ bar: places[i - 1].bar + (shift ?? Math.ceil(bars)), jump: shift === null });
  });
  return places;
}

function barsText(song, pick = song.pick) {
  const w = song.windows[pick], { bar } = meterOf(w);
  const first = song.places[pick].bar + 1, last = song.places[pick].bar + Math.ceil(stepsOf(w) / bar);
  return `bars ${first}–${last}`;
}

function songLabel(side, song = songs[side]) {
  return `${side.toUpperCase()}: ${song.name}${song.source === "example" ? " (built-in example)" : ""}, ${barsText(song)}`;
}

// The whole song as the model reads it, on one roll, the chosen window shaded.
function drawSong(side) {
  const song = songs[side], canvas = $(`song-roll-${side}`);
  $(`songroll-${side}`).hidden = !song;
  if (!song) return;
  const first = song.windows[0], { bar } = meterOf(first), steps = stepsOf(first);
  const total = song.places.at(-1).bar * bar + steps;
  const seen = new Set(), notes = [];
  song.windows.forEach((w, i) => {
    for (const n of notesOf(w, song.places[i].bar * bar)) {
      const key = `${n.start}:${n.pitch}:${n.track}`;
      if (!seen.has(key)) { seen.add(key); notes.push(n); }
    }
  });
  const tracks = first.tracks.map((t, k) => ({ ...t, notes: notes.filter((n) => n.track === k).map((n) => [n.start, n.end, n.pitch]) }));
  const whole = { ...first, tracks, steps: total, chords: first.chords && songChords(song, bar) };
  const start = song.places[song.pick].bar * bar;
  const px = Math.max(3, Math.min(8, 1400 / total));
  drawRoll(canvas, whole, px, { rowHeight: 4, band: [start, start + steps],
    breaks: song.places.filter((p) => p.jump).map((p) => p.bar * bar) });
  canvas.dataset.px = px;
  canvas.dataset.bar = bar;
  canvas.setAttribute("aria-label", `${songLabel(side)} chosen, of ${song.windows.length} windows; ${
    describeNotes(song.windows[song.pick], "the chosen bars")}`);
  const box = $(`songroll-${side}`);
  box.scrollLeft = Math.max(0, start * px - 40);
}

// A chord model's song: its windows' chords on the song's steps, a chord held across windows named once.
function songChords(song, bar) {
  const chords = [];
  song.windows.forEach((w, i) => {
    const offset = song.places[i].bar * bar;
    for (const [start, end, name] of w.chords) {
      const last = chords.at(-1);
      if (last && start + offset < last[1]) continue; // overlapping windows: the earlier one's chords stand
      if (last && last[2] === name && last[1] === start + offset) last[1] = end + offset;
      else chords.push([start + offset, end + offset, name]);
    }
  });
  return chords;
}

function showSong(side) {
  const song = songs[side], select = $(`bars-${side}`);
  if (!song) {
    $(`name-${side}`).textContent = `${side.toUpperCase()}: nothing chosen`;
    select.replaceChildren();
    select.dataset.off = "1";
    select.disabled = true;
  } else {
    $(`name-${side}`).textContent = `${songLabel(side)} (of ${song.windows.length} windows)`;
    select.replaceChildren(...song.windows.map((w, i) => new Option(
      `${barsText(song, i)}${song.places[i].jump ? " (after a jump)" : ""}`, i)));
    select.value = song.pick;
    select.dataset.off = "";
    select.disabled = false;
  }
  drawSong(side);
  showCorners();
}

// Read a song for `side` through the model: every window, placed on the song's bars; keep the bars
// chosen before where the model changed.
async function readSong(side, file, source, signal, keepBar = null) {
  const answer = await verb("items", { model: model.name, file, chords: chords() }, "json", null, { signal });
  const places = placeWindows(answer.items);
  let pick = 0;
  if (keepBar !== null) {
    const at = places.findIndex((p) => p.bar >= keepBar);
    pick = at < 0 ? 0 : at;
  }
  return { file, name: file.name, source, windows: answer.items, places, pick, count: answer.count };
}

async function chooseFile(side, file, source = "upload") {
  clearErrors();
  const mine = epoch;
  status(`reading ${file.name}…`);
  const song = await requests.start((signal) => readSong(side, file, source, signal), (e) => {
    songs[side] = null;
    showSong(side);
    fail(side, e, false);
  });
  if (!song || mine !== epoch) return;
  songs[side] = song;
  showSong(side);
  status(`${songLabel(side)}: ${song.windows.length} windows of ${stepsOf(song.windows[0]) / meterOf(song.windows[0]).bar} bars`);
}

function pickBars(side, index) {
  const song = songs[side];
  if (!song) return;
  song.pick = Math.max(0, Math.min(song.windows.length - 1, index));
  showSong(side);
  status(`${songLabel(side)} chosen`);
}

// results -----------------------------------------------------------------------------------------

const ZOOM = () => Number($("zoom").value);

function showResult() {
  const has = Boolean(result);
  for (const b of document.querySelectorAll(".needs-result")) b.disabled = !has;
  $("slider").disabled = !has;
  const strip = $("strip");
  if (!has) {
    player.stop();
    $("title").textContent = "Result";
    $("position").textContent = "";
    strip.replaceChildren();
    $("slider").max = 0;
    clipLink($("download-step"), null);
    clipLink($("download-path"), null);
    drawResult();
    showTransformSource();
    showCorners();
    return;
  }
  $("title").textContent = `${result.title}: ${result.items.length} item(s)`;
  $("slider").max = result.items.length - 1;
  const [low, high] = pitchRange(result.items);
  result.low = low;
  result.high = high;
  strip.replaceChildren(...result.items.map((item, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "thumb";
    button.setAttribute("aria-label", `show ${result.labels[i]}`);
    const small = document.createElement("canvas");
    drawRoll(small, item, Math.max(1, 96 / stepsOf(item)), { low, high, rowHeight: 1.5, numbers: false });
    const caption = document.createElement("span");
    caption.textContent = result.short[i];
    button.append(small, caption);
    button.addEventListener("click", () => { $("slider").value = i; onSlider(); });
    return button;
  }));
  clipLink($("download-path"), result.items, `${model.name}-${result.name}.mid`);
  showCorners();
  onSlider();
}

function current() {
  return result ? result.items[Number($("slider").value)] : null;
}

function onSlider() {
  if (!result) return;
  const i = Number($("slider").value);
  $("position").textContent = `${result.labels[i]} (${i + 1} of ${result.items.length})`;
  $("slider").setAttribute("aria-valuetext", result.labels[i]);
  for (const [k, b] of [...$("strip").children].entries()) b.setAttribute("aria-pressed", String(k === i));
  clipLink($("download-step"), [current()], `${model.name}-${result.name}-${i}.mid`);
  if (!playhead || playhead.index !== i) playhead = null;
  drawResult();
  showTransformSource();
}

function drawResult() {
  const canvas = $("roll");
  if (!result) {
    drawKeys($("keys"), 60, 72, 10);
    drawRoll(canvas, { steps_per_bar: 16, tracks: [{ notes: [] }], values: new Array(32).fill(0) }, ZOOM(),
      { low: 60, high: 72, rowHeight: 10 });
    canvas.setAttribute("aria-label", "no result yet");
    return;
  }
  const i = Number($("slider").value), item = result.items[i];
  const rowHeight = Math.max(7, Math.min(12, Math.floor(340 / (result.high - result.low + 1))));
  drawKeys($("keys"), result.low, result.high, rowHeight);
  const marks = result.marks[i] ? [{ step: 0, text: result.marks[i], colour: result.marks[i] === "B" ? "#7c3aed" : "#0f766e" }] : [];
  drawRoll(canvas, item, ZOOM(), { low: result.low, high: result.high, rowHeight, marks,
    playhead: playhead && playhead.index === i ? playhead.step : null });
  canvas.setAttribute("aria-label", describeNotes(item, result.labels[i]));
  canvas.dataset.playhead = playhead && playhead.index === i ? playhead.step.toFixed(2) : "";
}

function setResult(items, labels, title, name, { marks = [], short = null, show = 0 } = {}) {
  result = { items, labels, title, name, marks, short: short || labels.map((_, i) => String(i + 1)) };
  const room = $("roll-scroll").clientWidth - 4; // zoom to fit the width, but never under 6 px a step (scroll)
  $("zoom").value = Math.max(6, Math.min(40, Math.floor(room / stepsOf(items[0]))));
  $("slider").value = show;
  showResult();
  $("slider").value = show;
  onSlider();
}

function showTransformSource() {
  const base = transformBase || (result ? { label: `the result on screen: ${result.labels[Number($("slider").value)]}` }
    : songs.a ? { label: `melody ${songLabel("a")}` } : null);
  $("transform-source").textContent = base
    ? `The sliders move ${base.label}, by the amount shown.`
    : "Choose melody A or make a result first: the sliders move the melody on screen.";
}

// verbs ---------------------------------------------------------------------------------------------

async function interpolate() {
  clearErrors();
  const [a, b] = [songs.a, songs.b];
  if (!a || !b) return fail("interpolate", "choose songs A and B first (or use two examples)", false);
  const steps = Number($("steps").value);
  status(`interpolating ${songLabel("a")} to ${songLabel("b")}…`);
  const mine = epoch;
  const answer = await requests.start((signal) => verb("interpolate", { model: model.name, a: a.file, b: b.file,
    steps, index_a: a.pick, index_b: b.pick, chords: chords() }, "json", null, { signal }), (e) => fail("interpolate", e));
  if (!answer || mine !== epoch) return;
  const n = answer.items.length;
  const labels = answer.items.map((_, i) => (i === 0 ? `${songLabel("a")} (as the model hears it)`
    : i === n - 1 ? `${songLabel("b")} (as the model hears it)` : `step ${i} of ${n - 1} from A to B`));
  transformBase = null;
  resetSliders();
  setResult(answer.items, labels, `${a.name} (${barsText(a)}) to ${b.name} (${barsText(b)})`, "interpolation",
    { marks: labels.map((_, i) => (i === 0 ? "A" : i === n - 1 ? "B" : "")),
      short: labels.map((_, i) => (i === 0 ? "A" : i === n - 1 ? "B" : String(i))) });
  status(`interpolated in ${n} steps; used A ${barsText(a)} of ${a.name} and B ${barsText(b)} of ${b.name}`);
}

async function generate(fields) {
  clearErrors();
  status("generating…");
  const mine = epoch;
  const answer = await requests.start((signal) => verb("generate", { model: model.name, ...fields, chords: chords() }, "json", null,
    { signal }), (e) => fail("generate", e));
  if (!answer || mine !== epoch) return;
  transformBase = null;
  resetSliders();
  const over = chords() ? `, over ${chords()}` : "";
  const labels = answer.items.map((_, i) => `sample ${i + 1} (temperature ${Number(fields.temperature).toFixed(2)}, `
    + `spread ${Number(fields.spread).toFixed(2)}, seed ${fields.seed}${over})`);
  setResult(answer.items, labels, `${answer.items.length} samples`, "samples");
  status(`generated ${answer.items.length} samples`);
}

function resetSliders() {
  for (const s of document.querySelectorAll("#attributes input[type=range]")) s.setValue(0);
}

async function transform(attribute, slider) {
  clearErrors();
  for (const s of document.querySelectorAll("#attributes input[type=range]")) if (s !== slider) s.setValue(0);
  let base = transformBase;
  if (!base) {
    if (result) {
      const i = Number($("slider").value);
      base = { item: result.items[i], label: `the result on screen: ${result.labels[i]}` };
    } else if (songs.a) {
      base = { song: songs.a, label: `melody ${songLabel("a")}` };
    } else {
      return fail("transform", "choose melody A or make a result first: the sliders move the melody on screen", false);
    }
  }
  transformBase = base;
  const amount = Number(slider.value);
  const fields = base.item
    ? { model: model.name, a: new File([midiFile([base.item])], "on-screen.mid"), index: 0 }
    : { model: model.name, a: base.song.file, index: base.song.pick };
  status(`moving ${base.label} by ${attribute} ${amount}…`);
  const mine = epoch;
  const answer = await requests.start((signal) => verb("transform", { ...fields, attribute, amount }, "json", null,
    { signal }), (e) => fail("transform", e));
  if (!answer || mine !== epoch) return;
  transformBase = base;
  setResult(answer.items, [`${base.label}, as the model hears it`, `${attribute} ${amount >= 0 ? "+" : ""}${amount}`],
    `${attribute} ${amount >= 0 ? "+" : ""}${amount}`, `${attribute}${amount}`,
    { short: ["before", "after"], show: 1 });
  status(`moved ${base.label} by ${attribute} ${amount}`);
}

function showAttributes() {
  const box = $("attributes");
  box.replaceChildren();
  $("attributes-box").hidden = !model.attributes.length;
  for (const attribute of model.attributes) {
    const [label, slider] = rangeControl(`attribute-${attribute}`, attribute, { min: -3, max: 3, step: 0.5, value: 0,
      format: (v) => `${Number(v) > 0 ? "+" : ""}${Number(v).toFixed(1)}` });
    slider.classList.add("act");
    slider.addEventListener("change", () => transform(attribute, slider));
    box.append(label);
  }
  showTransformSource();
}

// playing -------------------------------------------------------------------------------------------

function play(items, first) {
  player.play(items, (index, step) => {
    const i = first + index;
    if (Number($("slider").value) !== i) { $("slider").value = i; playhead = { index: i, step }; onSlider(); }
    playhead = { index: i, step };
    drawResult();
    const box = $("roll-scroll"), x = step * ZOOM();
    if (x < box.scrollLeft || x > box.scrollLeft + box.clientWidth - 40) box.scrollLeft = Math.max(0, x - 40);
  }, () => { playhead = null; drawResult(); status(""); });
  status("playing");
}

// the blender ---------------------------------------------------------------------------------------

const CORNERS = ["top left", "top right", "bottom left", "bottom right"];
let corners = [null, null, null, null]; // {z, label}
const blend = { u: 0.5, v: 0.5, item: null, pending: false, busy: false };

function cornerSources() {
  const out = [];
  if (songs.a) out.push(["a", `melody ${songLabel("a")}`]);
  if (songs.b) out.push(["b", `melody ${songLabel("b")}`]);
  (result ? result.items : []).forEach((_, i) => out.push([`result-${i}`, `result: ${result.labels[i]}`]));
  for (let k = 0; k < 6; k += 1) out.push([`example-${k}`, `built-in example ${k + 1}`]);
  return out;
}

function showCorners() {
  const box = $("corners");
  const before = [...box.querySelectorAll("select")].map((s) => (s.dataset.user ? s.value : null)); // the musician's choices
  const sources = cornerSources();
  const n = result ? result.items.length : 0, ends = n > 2 && result.marks.some(Boolean); // an interpolation's ends are A and B
  const defaults = sources.map(([v]) => v).filter((v) => !(ends && (v === "result-0" || v === `result-${n - 1}`)))
    .slice(0, 4);
  box.replaceChildren(...CORNERS.map((name, k) => {
    const label = document.createElement("label");
    const select = Object.assign(document.createElement("select"), { id: `corner-${k}`, className: "act" });
    select.replaceChildren(...sources.map(([value, text]) => new Option(text, value)));
    const kept = sources.some(([v]) => v === before[k]);
    select.value = kept ? before[k] : defaults[k];
    if (kept) select.dataset.user = "1";
    select.addEventListener("change", () => { select.dataset.user = "1"; });
    label.append(`${name} `, select);
    return label;
  }));
}

async function cornerFile(source, signal) {
  if (source === "a" || source === "b") {
    if (!songs[source]) throw new Error(`melody ${source.toUpperCase()} is not chosen`);
    return [songs[source].file, songs[source].pick, songLabel(source)];
  }
  if (source.startsWith("result-")) {
    const i = Number(source.split("-")[1]);
    if (!result || !result.items[i]) throw new Error("that result is no longer on screen");
    return [new File([midiFile([result.items[i]])], `result-${i}.mid`), 0, result.short[i].length > 2
      ? result.labels[i] : `result ${result.short[i]}`];
  }
  const k = Number(source.split("-")[1]);
  const file = await example(model.name, $("dataset").value, k, { signal });
  return [file, 0, `example ${file.name}`];
}

async function loadCorners() {
  clearErrors();
  const mine = epoch;
  const sources = CORNERS.map((_, k) => $(`corner-${k}`).value);
  status("encoding the four corners…");
  const loaded = await requests.start(async (signal) => {
    const out = [];
    for (const source of sources) {
      const [file, index, label] = await cornerFile(source, signal);
      const answer = await verb("encode", { model: model.name, files: file, index, chords: chords() }, "json", null, { signal });
      out.push({ z: answer.z[0], label });
    }
    return out;
  }, (e) => fail("blend", e, false));
  if (!loaded || mine !== epoch) return;
  corners = loaded;
  drawPad();
  $("pad").focus();
  status("corners loaded: drag the point, or use the arrow keys on the pad");
  decodeBlend();
}

function mixOf(u, v) {
  const w = [(1 - u) * (1 - v), u * (1 - v), (1 - u) * v, u * v]; // top left, top right, bottom left, bottom right
  return { w, z: corners[0].z.map((_, d) => corners.reduce((sum, c, k) => sum + w[k] * c.z[d], 0)) };
}

function mixText() {
  const { w } = mixOf(blend.u, blend.v);
  return CORNERS.map((name, k) => `${Math.round(w[k] * 100)}% ${name}`).join(", ");
}

function drawPad() {
  const canvas = $("pad"), ctx = canvas.getContext("2d"), size = canvas.width;
  ctx.fillStyle = "#f8fafc";
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = "#e2e8f0";
  for (let k = 1; k < 4; k += 1) {
    ctx.beginPath(); ctx.moveTo((k * size) / 4, 0); ctx.lineTo((k * size) / 4, size); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(0, (k * size) / 4); ctx.lineTo(size, (k * size) / 4); ctx.stroke();
  }
  const ready = corners.every(Boolean);
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = "#334155";
  const fit = (text) => { // a label within half the pad
    let t = text;
    while (t.length > 3 && ctx.measureText(t).width > size / 2 - 18) t = t.slice(0, -2);
    return t === text ? t : `${t.trimEnd()}…`;
  };
  const names = (ready ? corners.map((c) => c.label.replace(/^melody /, "").replace(/ \(as the model hears it\)/, "")) : CORNERS).map(fit);
  ctx.textBaseline = "top";
  ctx.fillText(names[0], 6, 6);
  ctx.fillText(names[1], size - 6 - ctx.measureText(names[1]).width, 6);
  ctx.textBaseline = "bottom";
  ctx.fillText(names[2], 6, size - 6);
  ctx.fillText(names[3], size - 6 - ctx.measureText(names[3]).width, size - 6);
  if (!ready) return;
  ctx.fillStyle = "#dc2626";
  ctx.beginPath();
  ctx.arc(blend.u * size, blend.v * size, 8, 0, 2 * Math.PI);
  ctx.fill();
  canvas.setAttribute("aria-valuetext", mixText());
}

async function decodeBlend() {
  if (!corners.every(Boolean)) return;
  if (blend.busy) { blend.pending = true; return; }
  blend.busy = true;
  const mine = epoch;
  try {
    do {
      blend.pending = false;
      const { z } = mixOf(blend.u, blend.v);
      const text = mixText();
      const answer = await decode(model.name, [z], "json", null, { chords: chords() });
      if (mine !== epoch) return;
      blend.item = answer.items[0];
      blend.text = text;
      showBlend();
      showError($("error-blend"), "");
    } while (blend.pending);
    if ($("blend-autoplay").checked) playBlend();
  } catch (e) {
    if (mine === epoch) {
      blend.item = null;
      showBlend();
      fail("blend", e, false);
    }
  } finally {
    blend.busy = false;
  }
}

function showBlend() {
  const item = blend.item;
  $("blend-play").disabled = !item;
  if (!item) {
    $("blend-mix").textContent = corners.every(Boolean) ? "" : "Load the corners to blend.";
    clipLink($("blend-keep"), null);
    $("blend-roll").setAttribute("aria-label", "no blend yet");
    return;
  }
  const [low, high] = pitchRange([item]);
  drawKeys($("blend-keys"), low, high, 8);
  drawRoll($("blend-roll"), item, Math.max(4, Math.min(12, 560 / stepsOf(item))), { low, high, rowHeight: 8 });
  $("blend-mix").textContent = `The blend of ${blend.text}`;
  $("blend-roll").setAttribute("aria-label", describeNotes(item, `blend of ${blend.text}`));
  clipLink($("blend-keep"), [item], `${model.name}-blend-${Math.round(blend.u * 100)}-${Math.round(blend.v * 100)}.mid`);
}

function playBlend() {
  if (blend.item) player.play([blend.item]);
}

function movePad(u, v) {
  blend.u = Math.max(0, Math.min(1, u));
  blend.v = Math.max(0, Math.min(1, v));
  drawPad();
  decodeBlend();
}

// the model ---------------------------------------------------------------------------------------------

// The progression typed for a chord model (sent with every verb), else null.
function chords() {
  const text = $("chords").value.trim();
  return model && model.chords && text ? text : null;
}

async function chooseModel(m) {
  epoch += 1;
  requests.cancel();
  player.stop();
  clearErrors();
  model = m;
  result = null;
  transformBase = null;
  corners = [null, null, null, null];
  blend.item = null;
  $("card").textContent = m.card ? m.card.description || "" : "";
  const keep = $("dataset").value;
  $("dataset").replaceChildren(...m.datasets.filter((d) => d !== "groove").map((d) => new Option(d, d)));
  if ([...$("dataset").options].some((o) => o.value === keep)) $("dataset").value = keep;
  $("chords-box").hidden = !m.chords;
  showAttributes();
  showResult();
  showBlend();
  drawPad();
  const mine = epoch;
  let spread = 1;
  try {
    const info = await getJSON(`/api/models/${encodeURIComponent(m.name)}`);
    spread = info.config?.generate?.spread ?? 1;
    const source = info.config?.data?.source; // a chord or piano model's own data, for its examples
    if ([...$("dataset").options].some((o) => o.value === source)) $("dataset").value = source;
  } catch (e) { /* the default */ }
  if (mine !== epoch) return;
  generateControls($("generate-controls"), generate, { spread });
  for (const side of ["a", "b"]) { // the songs on screen, read again as this model reads them
    const song = songs[side];
    if (!song) { showSong(side); continue; }
    const bar = song.places[song.pick].bar;
    status(`reading ${song.name} for ${m.name}…`);
    const again = await requests.start((signal) => readSong(side, song.file, song.source, signal, bar),
      (e) => { songs[side] = null; fail(side, e, false); });
    if (mine !== epoch) return;
    songs[side] = again;
    showSong(side);
  }
  status(`model ${m.name}`);
}

// wiring ------------------------------------------------------------------------------------------------

for (const side of ["a", "b"]) {
  $(`file-${side}`).addEventListener("change", (e) => {
    const file = e.target.files[0];
    e.target.value = ""; // what is in use is named beside it; choosing the same file again reads it again
    if (file) chooseFile(side, file);
  });
  $(`bars-${side}`).addEventListener("change", (e) => pickBars(side, Number(e.target.value)));
  $(`song-roll-${side}`).addEventListener("click", (e) => {
    const song = songs[side];
    if (!song) return;
    const canvas = $(`song-roll-${side}`), box = canvas.getBoundingClientRect();
    const bar = Math.floor((e.clientX - box.left) / Number(canvas.dataset.px) / Number(canvas.dataset.bar));
    const at = song.places.findLastIndex((p) => p.bar <= bar);
    pickBars(side, at < 0 ? 0 : at);
  });
}
$("examples").addEventListener("click", async () => {
  clearErrors();
  const mine = epoch;
  status(`fetching two examples from ${$("dataset").value}…`);
  const files = await requests.start((signal) => Promise.all([0, 1].map((k) => example(model.name, $("dataset").value, k,
    { signal }))), (e) => fail("examples", e, false));
  if (!files || mine !== epoch) return;
  await chooseFile("a", files[0], "example");
  await chooseFile("b", files[1], "example");
});
$("interpolate").addEventListener("click", interpolate);
$("slider").addEventListener("input", onSlider);
$("zoom").addEventListener("input", drawResult);
$("play-step").addEventListener("click", () => result && play([current()], Number($("slider").value)));
$("play-path").addEventListener("click", () => result && play(result.items, 0));
$("stop").addEventListener("click", () => player.stop());
$("load-corners").addEventListener("click", loadCorners);
$("blend-play").addEventListener("click", playBlend);
padEvents($("pad"), {
  ready: () => corners.every(Boolean), at: () => [blend.u, blend.v], move: movePad, play: playBlend,
});
showCorners();
drawPad();
showResult();
await modelPicker($("model"), "midi", chooseModel);
