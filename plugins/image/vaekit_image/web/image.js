// The image page: samples, reconstructions, an interpolation with a slider, and a latent map that decodes
// the point clicked. It uses only the vaekit HTTP API.
import { decode, generateControls, getJSON, modelPicker, showError, verb } from "/static/api.js";

const $ = (id) => document.getElementById(id);
let model = null;
let plane = null;
let steps = [];

// Pixels (C, H, W) in [0, 1] onto a canvas (made if none is given), scaled up without smoothing.
function paint(values, canvas = null, scale = 4) {
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
  return canvas;
}

async function attempt(work) {
  showError($("status"), "");
  try {
    await work();
  } catch (e) {
    showError($("status"), e);
  }
}

function showStep() {
  const i = Number($("slider").value);
  if (!steps.length) return;
  paint(steps[i].values, $("step"));
  $("position").textContent = `step ${i} of ${steps.length - 1}`;
}

function drawMap(point = null) {
  const ctx = $("map").getContext("2d"), size = $("map").width;
  ctx.fillStyle = "#fafafa";
  ctx.fillRect(0, 0, size, size);
  ctx.strokeStyle = "#ccc";
  ctx.strokeRect(0, size / 2, size, 0);
  ctx.strokeRect(size / 2, 0, 0, size);
  if (point) {
    ctx.fillStyle = "#d62728";
    ctx.beginPath();
    ctx.arc(point[0], point[1], 4, 0, 2 * Math.PI);
    ctx.fill();
  }
}

async function choose(m) {
  model = m;
  $("card").textContent = m.card ? m.card.description || "" : "";
  plane = await getJSON(`/api/models/${encodeURIComponent(m.name)}/plane`);
  $("plane-note").textContent = m.latent_dim === 2
    ? "The model's 2-D latent (3 units each way); click to decode that point."
    : `The plane of the two main directions of the ${m.latent_dim}-D posterior means of held-out images, through `
      + "their mean (3 standard deviations each way); click to decode that point.";
  drawMap();
}

await modelPicker($("model"), "image", (m) => attempt(() => choose(m)));

generateControls($("generate-controls"), (fields) => attempt(async () => {
  const { items } = await verb("generate", { model: model.name, ...fields });
  $("samples").replaceChildren(...items.map((item) => paint(item.values)));
}));
$("recon-files").addEventListener("change", (e) => attempt(async () => {
  const { items } = await verb("reconstruct", { model: model.name, files: [...e.target.files] });
  $("reconstructions").replaceChildren(...items.map((item) => {
    const pair = Object.assign(document.createElement("span"), { className: "pair" });
    pair.append(paint(item.input), paint(item.values));
    return pair;
  }));
}));
$("interpolate").addEventListener("click", () => attempt(async () => {
  const [a, b] = [$("file-a").files[0], $("file-b").files[0]];
  if (!a || !b) throw new Error("choose two images");
  steps = (await verb("interpolate", { model: model.name, a, b, steps: $("steps").value })).items;
  $("slider").max = steps.length - 1;
  $("slider").value = 0;
  showStep();
}));
$("slider").addEventListener("input", showStep);
$("map").addEventListener("click", (e) => attempt(async () => {
  const box = $("map").getBoundingClientRect();
  const [px, py] = [e.clientX - box.left, e.clientY - box.top];
  const u = (2 * px) / box.width - 1, v = 1 - (2 * py) / box.height; // -1..1, up is +
  const z = plane.origin.map((o, k) => o + u * plane.extent[0] * plane.axes[0][k] + v * plane.extent[1] * plane.axes[1][k]);
  const { items } = await decode(model.name, [z]);
  paint(items[0].values, $("decoded"));
  drawMap([px, py]);
  $("decoded").dataset.z = JSON.stringify(z);
}));
