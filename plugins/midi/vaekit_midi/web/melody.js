// The melody page: interpolation, generation and attribute vectors drawn as piano rolls and played by a
// small Web Audio synthesizer. It uses only the vaekit HTTP API.
import { download, example, generateControls, modelPicker, showError, verb } from "/static/api.js";

const $ = (id) => document.getElementById(id);
const SECONDS_PER_STEP = 0.125; // a 16th note at 120 bpm, as the plugin writes MIDI
let model = null;
let result = null; // {items, request: [verb, fields], title}
let files = { a: null, b: null };
let audio = null;
const stepsOf = (item) => item.values.flat(Infinity).length / item.tracks.length; // trios hold 3 rows

async function run(name, fields, title) {
  showError($("status"), "");
  $("status").textContent = "working...";
  try {
    const answer = await verb(name, fields);
    result = { items: answer.items, request: [name, fields], title };
    $("slider").max = answer.items.length - 1;
    $("slider").value = 0;
    $("title").textContent = `${title}: ${answer.items.length} item(s)`;
    $("status").textContent = "";
    draw();
  } catch (e) {
    showError($("status"), e);
  }
}

function draw() {
  const canvas = $("roll"), ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!result) return;
  const i = Number($("slider").value), item = result.items[i];
  $("position").textContent = `${item.label || `item ${i}`} of ${result.items.length}`;
  const length = stepsOf(item);
  const notes = item.tracks.flatMap((t, k) => t.notes.map((n) => [...n, k, t.drums]));
  const pitches = notes.map((n) => n[2]);
  const low = Math.min(55, ...pitches) - 2, high = Math.max(79, ...pitches) + 2;
  const w = canvas.width / length, h = canvas.height / (high - low + 1);
  ctx.strokeStyle = "#eee";
  for (let step = 0; step <= length; step += 1) {
    ctx.beginPath();
    ctx.moveTo(step * w, 0);
    ctx.lineTo(step * w, canvas.height);
    ctx.strokeStyle = step % item.steps_per_bar === 0 ? "#999" : step % 4 === 0 ? "#ddd" : "#f3f3f3";
    ctx.stroke();
  }
  const colours = ["#1f77b4", "#2ca02c", "#d62728"];
  for (const [start, end, pitch, track] of notes) {
    ctx.fillStyle = colours[track % colours.length];
    ctx.fillRect(start * w + 1, (high - pitch) * h, Math.max(2, (end - start) * w - 2), Math.max(2, h - 1));
  }
  ctx.fillStyle = "#444";
  ctx.fillText(`pitch ${low}..${high}`, 4, 12);
}

function stop() {
  if (audio) audio.close();
  audio = null;
}

function play(items) {
  stop();
  audio = new AudioContext();
  let offset = audio.currentTime + 0.05;
  for (const item of items) {
    const steps = stepsOf(item);
    for (const track of item.tracks) {
      for (const [start, end, pitch] of track.notes) {
        const t0 = offset + start * SECONDS_PER_STEP;
        const t1 = offset + (track.drums ? start + 0.5 : end) * SECONDS_PER_STEP;
        const osc = audio.createOscillator(), gain = audio.createGain();
        osc.type = track.drums ? "square" : "triangle";
        osc.frequency.value = track.drums ? 100 + pitch * 4 : 440 * 2 ** ((pitch - 69) / 12);
        gain.gain.setValueAtTime(0, t0);
        gain.gain.linearRampToValueAtTime(track.drums ? 0.1 : 0.2, t0 + 0.01);
        gain.gain.linearRampToValueAtTime(0, t1);
        osc.connect(gain).connect(audio.destination);
        osc.start(t0);
        osc.stop(t1 + 0.02);
      }
    }
    offset += (steps + item.steps_per_bar) * SECONDS_PER_STEP; // a bar of rest between items, as in the MIDI
  }
}

async function save(item) {
  if (!result) return;
  const [name, fields] = result.request;
  try {
    const blob = await verb(name, fields, "midi", item);
    download(blob, `${model.name}-${name}${item === null ? "" : `-${item}`}.mid`);
  } catch (e) {
    showError($("status"), e);
  }
}

function showAttributes() {
  const box = $("attributes");
  box.replaceChildren();
  $("attributes-box").hidden = !model.attributes.length;
  for (const attribute of model.attributes) {
    const label = document.createElement("label");
    const slider = Object.assign(document.createElement("input"), { type: "range", min: -3, max: 3, step: 0.5,
      value: 0, id: `attribute-${attribute}` });
    slider.addEventListener("change", () => {
      if (!files.a) return showError($("status"), "choose melody A first");
      return run("transform", { model: model.name, a: files.a, attribute, amount: slider.value },
        `A with ${attribute} ${slider.value}`);
    });
    label.append(`${attribute} `, slider);
    box.append(label);
  }
}

await modelPicker($("model"), "midi", (m) => {
  model = m;
  $("card").textContent = m.card ? m.card.description || "" : "";
  $("dataset").replaceChildren(...m.datasets.map((d) => new Option(d, d)));
  showAttributes();
});
for (const side of ["a", "b"]) $(`file-${side}`).addEventListener("change", (e) => { files[side] = e.target.files[0]; });
$("examples").addEventListener("click", async () => {
  try {
    files = { a: await example(model.name, $("dataset").value, 0), b: await example(model.name, $("dataset").value, 1) };
    $("status").textContent = `A: ${files.a.name}, B: ${files.b.name}`;
  } catch (e) {
    showError($("status"), e);
  }
});
$("interpolate").addEventListener("click", () => {
  if (!files.a || !files.b) return showError($("status"), "choose two melodies (or use two examples)");
  return run("interpolate", { model: model.name, a: files.a, b: files.b, steps: $("steps").value },
    `${files.a.name} to ${files.b.name}`);
});
generateControls($("generate-controls"), (fields) => run("generate", { model: model.name, ...fields },
  `samples at temperature ${fields.temperature}`));
$("slider").addEventListener("input", draw);
$("play-step").addEventListener("click", () => result && play([result.items[Number($("slider").value)]]));
$("play-path").addEventListener("click", () => result && play(result.items));
$("stop").addEventListener("click", stop);
$("download-step").addEventListener("click", () => save(Number($("slider").value)));
$("download-path").addEventListener("click", () => save(null));
draw();
