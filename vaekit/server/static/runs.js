// The shell page: the models served, and for one run its config, held-out figures and live training curves.
import { getJSON, models } from "/static/api.js";

const body = document.querySelector("#models tbody");
const select = document.querySelector("#run");
const list = await models();
document.querySelector("#nav").replaceChildren(...[...new Set(list.filter((m) => m.page).map((m) => m.page))]
  .map((page) => Object.assign(document.createElement("a"), { href: page, textContent: page.split("/")[2] })));
body.replaceChildren(...list.map((m) => {
  const row = document.createElement("tr");
  for (const text of [m.name, m.modality, m.preset, m.attributes.join(", ") || "none"]) {
    row.append(Object.assign(document.createElement("td"), { textContent: text }));
  }
  const cell = document.createElement("td");
  if (m.page) cell.append(Object.assign(document.createElement("a"), { href: m.page, textContent: "open" }));
  row.append(cell);
  return row;
}));
select.replaceChildren(...list.map((m) => new Option(m.name, m.name)));

let rows = [];
let timer = null;

function draw() {
  const canvas = document.querySelector("#curves");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const series = { train: rows.filter((r) => r.split === "train"), val: rows.filter((r) => r.split === "val") };
  const key = (r) => r.recon + r.kl; // the negative ELBO at beta 1, in both splits
  const points = [...series.train, ...series.val].filter((r) => Number.isFinite(key(r)));
  if (!points.length) return;
  const xs = points.map((r) => r.step), ys = points.map(key);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const px = (x) => 40 + (x - x0) / Math.max(1, x1 - x0) * (canvas.width - 60);
  const py = (y) => canvas.height - 30 - (y - y0) / Math.max(1e-9, y1 - y0) * (canvas.height - 50);
  ctx.fillStyle = "#444";
  ctx.fillText(`${y1.toPrecision(4)}`, 2, 15);
  ctx.fillText(`${y0.toPrecision(4)}`, 2, canvas.height - 30);
  ctx.fillText(`step ${x0} .. ${x1}`, canvas.width / 2 - 30, canvas.height - 8);
  for (const [name, colour] of [["train", "#1f77b4"], ["val", "#d62728"]]) {
    const s = series[name].filter((r) => Number.isFinite(key(r)));
    ctx.strokeStyle = colour;
    ctx.beginPath();
    s.forEach((r, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, px(r.step), py(key(r))));
    ctx.stroke();
    ctx.fillStyle = colour;
    ctx.fillText(`${name} recon + KL`, canvas.width - 110, name === "train" ? 15 : 30);
  }
}

async function poll(name) {
  const fresh = await getJSON(`/api/models/${encodeURIComponent(name)}/metrics?since=${rows.length}`);
  rows = rows.concat(fresh);
  if (fresh.length) draw();
}

async function show(name) {
  clearInterval(timer);
  rows = [];
  const info = await getJSON(`/api/models/${encodeURIComponent(name)}`);
  document.querySelector("#config").textContent = JSON.stringify(info.config, null, 1);
  document.querySelector("#figures").textContent = "held-out figures (last validation):\n"
    + JSON.stringify(info.last_validation, null, 1) + (info.card ? "\ncard:\n" + JSON.stringify(info.card, null, 1) : "");
  await poll(name);
  timer = setInterval(() => poll(name), 5000);
}

select.addEventListener("change", () => show(select.value));
if (list.length) show(list[0].name);
