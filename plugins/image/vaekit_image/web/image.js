// The image page: samples, reconstructions, an interpolation with a slider, and a latent map that decodes
// the point clicked or moved to with the arrow keys. It uses only the vaekit HTTP API.
//
// Temperature: a Bernoulli decoder (the shipped digit models) shows each pixel's probability, never a
// draw, so temperature changes nothing there and the control is hidden; a Gaussian decoder adds
// temperature times its pixel noise, and shows it. Spread (how far from the prior's centres z is
// drawn) changes the samples of either.
import { Requests, decode, generateControls, getJSON, modelPicker, showError, verb } from "/static/api.js";

const $ = (id) => document.getElementById(id);
const requests = new Requests();
let model = null;
let plane = null;
let steps = [];
let epoch = 0;
let point = [0, 0]; // on the map, -1..1 each way, up is +
let mapBusy = false, mapPending = false;

// Pixels (C, H, W) in [0, 1] onto a canvas (made if none is given), scaled up without smoothing.
function paint(values, canvas = null, scale = 4, label = "an image") {
  const [c, h, w] = [values.length, values[0].length, values[0][0].length];
  canvas = canvas || Object.assign(document.createElement("canvas"), { width: w * scale, height: h * scale });
  const small = new ImageData(w, h);
  for (let y = 0; y < h; y += 1) {
    for (let x = 0; x < w; x += 1) {
      const at = (y * w + x) * 4;
      for (let k = 0; k < 3; k += 1) small.data[at + k] = Math.round(255 * values[c === 1 ? 0 : k][y][x]);
      small.data[at + 3] = 255;
    }
  }
  const buffer = Object.assign(document.createElement("canvas"), { width: w, height: h });
  buffer.getContext("2d").putImageData(small, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(buffer, 0, 0, canvas.width, canvas.height);
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${label}, ${w} by ${h} pixels`);
  return canvas;
}

function clearErrors() {
  for (const e of document.querySelectorAll(".error")) e.textContent = "";
}

// Run a request with the page busy; an error shows beside its control and `clear()` removes the stale result.
async function attempt(where, work, clear = () => {}) {
  clearErrors();
  const mine = epoch;
  $("status").textContent = "working…";
  const answer = await requests.start(work, (e) => { clear(); showError($(`error-${where}`), e); });
  if (mine === epoch) $("status").textContent = "";
  return mine === epoch ? answer : null;
}

function showStep() {
  const i = Number($("slider").value);
  $("slider").disabled = !steps.length;
  if (!steps.length) {
    $("step").getContext("2d").clearRect(0, 0, 160, 160);
    $("step").setAttribute("aria-label", "no interpolation");
    $("position").textContent = "";
    return;
  }
  const name = i === 0 ? "A" : i === steps.length - 1 ? "B" : `step ${i}`;
  paint(steps[i].values, $("step"), 4, `interpolation ${name}`);
  $("position").textContent = `${name} (${i} of ${steps.length - 1})`;
  $("slider").setAttribute("aria-valuetext", name);
}

function drawMap() {
  const ctx = $("map").getContext("2d"), size = $("map").width;
  ctx.fillStyle = "#fafafa";
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = "#ccc";
  ctx.strokeRect(0, size / 2, size, 0);
  ctx.strokeRect(size / 2, 0, 0, size);
  ctx.fillStyle = "#666";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText("axis 1 →", size - 52, size / 2 - 4);
  ctx.fillText("axis 2 ↑", size / 2 + 4, 12);
  const [px, py] = [(point[0] + 1) * size / 2, (1 - point[1]) * size / 2];
  ctx.fillStyle = "#d62728";
  ctx.beginPath();
  ctx.arc(px, py, 4, 0, 2 * Math.PI);
  ctx.fill();
  $("map").setAttribute("aria-valuetext", `axis 1 ${(point[0] * 3).toFixed(1)}, axis 2 ${(point[1] * 3).toFixed(1)} `
    + "(in units of the plane's spread)");
}

async function decodePoint() {
  if (!plane) return;
  if (mapBusy) { mapPending = true; return; }
  mapBusy = true;
  const mine = epoch;
  try {
    do {
      mapPending = false;
      const [u, v] = point;
      const z = plane.origin.map((o, k) => o + u * plane.extent[0] * plane.axes[0][k] + v * plane.extent[1] * plane.axes[1][k]);
      const { items } = await decode(model.name, [z]);
      if (mine !== epoch) return;
      paint(items[0].values, $("decoded"), 4, `decoded at axis 1 ${(u * 3).toFixed(1)}, axis 2 ${(v * 3).toFixed(1)}`);
      $("decoded").dataset.z = JSON.stringify(z);
      showError($("error-map"), "");
    } while (mapPending);
  } catch (e) {
    if (mine === epoch) showError($("error-map"), e);
  } finally {
    mapBusy = false;
  }
}

function moveTo(u, v) {
  point = [Math.max(-1, Math.min(1, u)), Math.max(-1, Math.min(1, v))];
  drawMap();
  decodePoint();
}

async function choose(m) {
  epoch += 1;
  requests.cancel();
  clearErrors();
  model = m;
  plane = null;
  steps = [];
  showStep();
  $("samples").replaceChildren();
  $("reconstructions").replaceChildren();
  $("card").textContent = m.card ? m.card.description || "" : "";
  const mine = epoch;
  const info = await getJSON(`/api/models/${encodeURIComponent(m.name)}`);
  if (mine !== epoch) return;
  const gaussian = info.config?.model?.likelihood === "gaussian";
  generateControls($("generate-controls"), generate, { temperature: gaussian, spread: info.config?.generate?.spread ?? 1 });
  $("generate-note").textContent = gaussian
    ? "Temperature scales the decoder's pixel noise; spread, how far from the prior's centres the codes are drawn."
    : "This model's decoder gives each pixel's probability (Bernoulli), shown as grey, never a noisy draw, so "
      + "temperature would change nothing and is not offered; spread sets how far from the prior's centres the codes are drawn.";
  $("plane-note").textContent = "Computing the plane…";
  plane = await getJSON(`/api/models/${encodeURIComponent(m.name)}/plane`);
  if (mine !== epoch) return;
  $("plane-note").textContent = m.latent_dim === 2
    ? "The model's 2-D latent (3 units each way); click, or focus it and use the arrow keys, to decode a point."
    : `The plane of the two main directions of the ${m.latent_dim}-D posterior means of held-out images, through `
      + "their mean (3 standard deviations each way); click, or focus it and use the arrow keys, to decode a point.";
  drawMap();
}

async function generate(fields) {
  const answer = await attempt("generate", (signal) => verb("generate", { model: model.name, ...fields }, "json", null,
    { signal }), () => $("samples").replaceChildren());
  if (answer) {
    $("samples").replaceChildren(...answer.items.map((item, i) => paint(item.values, null, 4, `sample ${i + 1}`)));
  }
}

await modelPicker($("model"), "image", (m) => choose(m).catch((e) => showError($("error-generate"), e)));

$("recon-files").addEventListener("change", async (e) => {
  const files = [...e.target.files];
  e.target.value = ""; // choosing the same files again reconstructs them again
  if (!files.length) return;
  $("recon-names").textContent = files.map((f) => f.name).join(", ");
  const answer = await attempt("reconstruct", (signal) => verb("reconstruct", { model: model.name, files }, "json", null,
    { signal }), () => $("reconstructions").replaceChildren());
  if (answer) {
    $("reconstructions").replaceChildren(...answer.items.map((item, i) => {
      const pair = Object.assign(document.createElement("span"), { className: "pair" });
      pair.append(paint(item.input, null, 4, `${files[i].name} as given`), paint(item.values, null, 4, `${files[i].name} reconstructed`));
      return pair;
    }));
  }
});
const chosen = { a: null, b: null };
for (const side of ["a", "b"]) {
  $(`file-${side}`).addEventListener("change", (e) => {
    chosen[side] = e.target.files[0] || chosen[side];
    e.target.value = "";
    $(`name-${side}`).textContent = `${side.toUpperCase()}: ${chosen[side] ? chosen[side].name : "none"}`;
  });
}
$("interpolate").addEventListener("click", async () => {
  if (!chosen.a || !chosen.b) {
    steps = [];
    showStep();
    return showError($("error-interpolate"), "choose two images");
  }
  const answer = await attempt("interpolate", (signal) => verb("interpolate", { model: model.name, a: chosen.a,
    b: chosen.b, steps: $("steps").value }, "json", null, { signal }), () => { steps = []; showStep(); });
  if (answer) {
    steps = answer.items;
    $("slider").max = steps.length - 1;
    $("slider").value = 0;
    showStep();
  }
});
$("slider").addEventListener("input", showStep);
$("map").addEventListener("click", (e) => {
  const box = $("map").getBoundingClientRect();
  moveTo((2 * (e.clientX - box.left)) / box.width - 1, 1 - (2 * (e.clientY - box.top)) / box.height);
});
$("map").addEventListener("keydown", (e) => {
  const step = e.shiftKey ? 0.25 : 0.05;
  const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
  if (moves[e.key]) {
    e.preventDefault();
    moveTo(point[0] + moves[e.key][0], point[1] + moves[e.key][1]);
  } else if (e.key === "Enter" || e.key === " ") {
    e.preventDefault();
    decodePoint();
  }
});
