// The compose page: whole songs from the composer (the `compose` maker, on mel_2bar), drawn as piano rolls
// of 16 bars a row with their sections marked, played by the page's Web Audio synthesizer and saved as
// MIDI made from the notes on screen. It uses only the vaekit HTTP API.
import { Requests, getJSON, rangeControl, showError, verb } from "/static/api.js";
import { Player, clipLink } from "./midi.js";
import { describeNotes, drawKeys, drawRoll, notesOf, pitchRange, stepsOf } from "./roll.js";

const $ = (id) => document.getElementById(id);
const requests = new Requests();
const player = new Player();
const ROW_BARS = 16;
const COLOURS = ["#0f766e", "#7c3aed", "#b45309", "#be123c", "#1d4ed8", "#4d7c0f", "#a21caf", "#0e7490"];
let songs = []; // the answer's items: values, tracks, label, sections
let shown = 0;
let playhead = null; // a step of the song on screen while it plays
const [variationLabel, variation] = rangeControl("variation", "variation", { min: 0, max: 1, step: 0.05, value: 0.1 });
$("variation-box").append(variationLabel);

function status(text) { $("status").textContent = text; }

function formValue() { return $("form").value.trim().toUpperCase(); }

// A form sets the bars (8 a letter) and enables the variation; without one the bars are asked for.
function syncForm() {
  const form = formValue();
  $("bars").dataset.off = form ? "1" : "";
  variation.dataset.off = form ? "" : "1";
  $("bars").disabled = Boolean(form) || requests.controller !== null;
  variation.disabled = !form || requests.controller !== null;
  if (form) $("bars").value = 8 * form.length;
}

// One row of a song: the notes sounding in bars [first, first + bars), moved to start at step 0.
function rowOf(item, first, bars) {
  const from = first * 16, to = (first + bars) * 16;
  const notes = item.tracks[0].notes.filter(([start]) => start >= from && start < to)
    .map(([start, end, pitch]) => [start - from, Math.min(end, to) - from, pitch]);
  return { steps_per_bar: 16, tracks: [{ ...item.tracks[0], notes }], values: new Array(to - from).fill(0) };
}

function colourOf(name) {
  const code = name.charCodeAt(0);
  return COLOURS[(code >= 65 && code <= 90 ? code - 65 : code) % COLOURS.length];
}

function drawSong() {
  const box = $("rows");
  const item = songs[shown];
  if (!item) {
    box.replaceChildren();
    $("song-name").textContent = "";
    return;
  }
  const bars = stepsOf(item) / 16;
  const [low, high] = pitchRange([item]);
  const rowHeight = Math.max(5, Math.min(10, Math.floor(260 / (high - low + 1))));
  const px = Math.max(2, Math.floor((box.clientWidth - 52) / (ROW_BARS * 16)));
  const rows = [];
  for (let first = 0; first < bars; first += ROW_BARS) {
    const count = Math.min(ROW_BARS, bars - first);
    const part = rowOf(item, first, count);
    const inRow = item.sections.filter((s) => s.bar >= first && s.bar < first + count);
    const marks = inRow.map((s) => ({ step: (s.bar - first) * 16, text: s.name, colour: colourOf(s.name) }));
    const row = document.createElement("div");
    row.className = "roll";
    const keys = Object.assign(document.createElement("canvas"), { width: 44 });
    keys.setAttribute("role", "presentation");
    drawKeys(keys, low, high, rowHeight);
    const canvas = document.createElement("canvas");
    const head = playhead !== null && playhead >= first * 16 && playhead < (first + count) * 16 ? playhead - first * 16 : null;
    drawRoll(canvas, part, px, { low, high, rowHeight, firstBar: first + 1, marks, playhead: head,
      breaks: inRow.filter((s) => s.bar > first).map((s) => (s.bar - first) * 16) });
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", describeNotes(part, `${item.label}, bars ${first + 1} to ${first + count}`));
    row.append(keys, canvas);
    rows.push(row);
  }
  box.replaceChildren(...rows);
  box.dataset.notes = notesOf(item).length;
  box.dataset.sections = item.sections.map((s) => `${s.name}:${s.bar}`).join(" ");
  box.dataset.playhead = playhead === null ? "" : playhead.toFixed(2);
  const form = item.sections.map((s) => s.name).join("");
  $("song-name").textContent = `${item.label}: ${bars} bars, ${notesOf(item).length} notes, sections ${form}`;
}

function showSongs() {
  const has = songs.length > 0;
  $("play").disabled = !has;
  $("stop").disabled = !has;
  const [low, high] = has ? pitchRange(songs) : [60, 72];
  $("strip").replaceChildren(...songs.map((item, i) => {
    const button = Object.assign(document.createElement("button"), { type: "button", className: "thumb" });
    button.setAttribute("aria-label", `show ${item.label}`);
    button.setAttribute("aria-pressed", String(i === shown));
    const small = document.createElement("canvas");
    drawRoll(small, item, Math.max(0.1, 160 / stepsOf(item)), { low, high, rowHeight: 1.5, numbers: false });
    button.append(small, Object.assign(document.createElement("span"), { textContent: item.label }));
    button.addEventListener("click", () => { player.stop(); shown = i; showSongs(); });
    return button;
  }));
  clipLink($("download"), has ? [songs[shown]] : null, `composed-song-${shown + 1}.mid`);
  drawSong();
}

async function compose() {
  showError($("error-compose"), null);
  player.stop();
  const form = formValue();
  const fields = { count: $("count").value, seed: $("seed").value, free_key: $("hold-key").checked ? 0 : 1,
                   open: $("close").checked ? 0 : 1 };
  if (form) Object.assign(fields, { form, variation: variation.value });
  else fields.bars = $("bars").value;
  status(`composing ${fields.count} song(s)…`);
  const answer = await requests.start((signal) => verb("make/compose", fields, "json", null, { signal }), (e) => {
    showError($("error-compose"), e);
    status("");
  });
  syncForm();
  if (!answer) return;
  songs = answer.items;
  shown = 0;
  showSongs();
  status(`${songs.length} song(s) of ${stepsOf(songs[0]) / 16} bars`);
}

function play() {
  const item = songs[shown];
  if (!item) return;
  player.play([item], (_, step) => { playhead = step; drawSong(); },
    () => { playhead = null; drawSong(); status(""); });
  status("playing");
}

async function start() {
  const maker = (await getJSON("/api/makers")).find((m) => m.name === "compose");
  if (!maker) {
    $("about").textContent = "No composer here: serve the shipped mel_2bar (vaekit serve) to compose.";
    $("compose").dataset.off = "1";
    $("compose").disabled = true;
    return;
  }
  const figures = maker.card?.heldout?.["64-bar songs"];
  $("about").textContent = `${maker.description}.` + (figures ? ` Its 64-bar songs: ${
    Math.round(100 * figures.in_key_share)}% of notes in key, ${Math.round(100 * figures.repeated_bars)}% of bars repeat an earlier one.` : "");
}

$("form").addEventListener("input", syncForm);
$("compose").addEventListener("click", compose);
$("play").addEventListener("click", play);
$("stop").addEventListener("click", () => player.stop());
addEventListener("resize", drawSong);
syncForm();
showSongs();
await start();
