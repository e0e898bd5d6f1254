// The shell page: the models served, and for one run its held-out figures (a table, 3 significant
// digits), its training curves (labelled axes) and, behind a disclosure, its config.
import { getJSON, models } from "/static/api.js";

const $ = (id) => document.getElementById(id);
const body = document.querySelector("#models tbody");
const select = $("run");
const list = await models();
const makers = await getJSON("/api/makers");
$("nav").replaceChildren(...[...new Set([...list, ...makers].filter((m) => m.page).map((m) => m.page))]
  .map((page) => Object.assign(document.createElement("a"), { href: page,
    textContent: page.split("/").slice(2).join(" ").replace(/\.html$/, "").trim() })));
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
let shown = 0; // bumped on each choice: a poll for an earlier model is dropped

// A number as a person reads it: 3 significant digits, integers whole, tiny and huge ones in e-notation.
export function figure(v) {
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return v.toLocaleString("en-US").replaceAll(",", " ");
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

function table(caption, header, lines) {
  const t = document.createElement("table");
  t.append(Object.assign(document.createElement("caption"), { textContent: caption }));
  const head = document.createElement("tr");
  for (const h of header) head.append(Object.assign(document.createElement("th"), { textContent: h }));
  t.append(head);
  for (const line of lines) {
    const tr = document.createElement("tr");
    line.forEach((v, k) => tr.append(Object.assign(document.createElement(k ? "td" : "th"), {
      textContent: k ? figure(v) : v, className: k && typeof v === "number" ? "number" : "" })));
    t.append(tr);
  }
  return t;
}

function showFigures(info) {
  const box = $("figures");
  const parts = [];
  const last = info.last_validation;
  if (last) {
    const skip = new Set(["split", "seconds"]);
    parts.push(table(`last validation (step ${figure(last.step)})`, ["measure", "value"],
      Object.entries(last).filter(([k, v]) => !skip.has(k) && k !== "step" && typeof v === "number")));
  }
  const held = info.card?.heldout;
  if (held) {
    const measures = [...new Set(Object.values(held).flatMap((m) => Object.keys(m)))];
    parts.push(table("held-out figures (the model's card)", ["data", ...measures],
      Object.entries(held).map(([data, m]) => [data, ...measures.map((k) => (k in m ? m[k] : "–"))])));
  }
  if (info.card) {
    const p = document.createElement("p");
    p.textContent = [info.card.description, info.card.data && `trained on ${info.card.data}`, info.card.licences]
      .filter(Boolean).join(". ");
    parts.push(p);
  }
  if (!parts.length) parts.push(Object.assign(document.createElement("p"), { textContent: "no validation yet" }));
  box.replaceChildren(...parts);
}

function ticks(low, high, n = 5) {
  const span = high - low || Math.abs(high) || 1;
  const step = 10 ** Math.floor(Math.log10(span / n));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= n) || step * 10;
  const out = [];
  for (let v = Math.ceil(low / nice) * nice; v <= high + 1e-9; v += nice) out.push(v);
  return out;
}

function draw() {
  const canvas = $("curves");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const key = (r) => r.recon + r.kl; // the negative ELBO at beta 1, in both splits
  const series = { train: rows.filter((r) => r.split === "train" && Number.isFinite(key(r))),
    val: rows.filter((r) => r.split === "val" && Number.isFinite(key(r))) };
  const points = [...series.train, ...series.val];
  if (!points.length) {
    canvas.setAttribute("aria-label", "no training curves: the run has no metrics yet");
    return;
  }
  const xs = points.map((r) => r.step), ys = points.map(key);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const sorted = [...ys].sort((a, b) => a - b);
  const valTop = Math.max(...series.val.map(key), -Infinity);
  const [y0, y1] = [sorted[0], Math.max(valTop, sorted[Math.floor(0.98 * (sorted.length - 1))])]; // the first steps' spike clipped
  const [left, right, top, bottom] = [64, 16, 24, 44];
  const px = (x) => left + ((x - x0) / Math.max(1, x1 - x0)) * (canvas.width - left - right);
  const py = (y) => canvas.height - bottom - ((Math.min(y, y1) - y0) / Math.max(1e-9, y1 - y0)) * (canvas.height - top - bottom);
  ctx.font = "11px system-ui, sans-serif";
  ctx.strokeStyle = "#eee";
  ctx.fillStyle = "#444";
  ctx.textAlign = "right";
  for (const y of ticks(y0, y1)) {
    ctx.beginPath(); ctx.moveTo(left, py(y)); ctx.lineTo(canvas.width - right, py(y)); ctx.stroke();
    ctx.fillText(figure(y), left - 4, py(y) + 4);
  }
  ctx.textAlign = "center";
  for (const x of ticks(x0, x1, 6)) ctx.fillText(figure(Math.round(x)), px(x), canvas.height - bottom + 14);
  ctx.fillText("training step", left + (canvas.width - left - right) / 2, canvas.height - 8);
  ctx.save();
  ctx.translate(14, top + (canvas.height - top - bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("reconstruction + KL (nats an item)", 0, 0);
  ctx.restore();
  ctx.strokeStyle = "#999";
  ctx.strokeRect(left, top, canvas.width - left - right, canvas.height - top - bottom);
  ctx.textAlign = "left";
  for (const [name, colour, y] of [["train", "#1f77b4", 14], ["validation", "#d62728", 14]]) {
    const s = series[name === "train" ? "train" : "val"];
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    s.forEach((r, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, px(r.step), py(key(r))));
    ctx.stroke();
    ctx.fillStyle = colour;
    ctx.fillText(`— ${name}`, name === "train" ? left : left + 70, y);
  }
  ctx.lineWidth = 1;
  const lastVal = series.val.at(-1), lastTrain = series.train.at(-1);
  const text = `Training curves: reconstruction + KL against training step, steps ${figure(x0)} to ${figure(x1)}; `
    + (lastTrain ? `train ends at ${figure(key(lastTrain))}` : "") + (lastVal ? `, validation at ${figure(key(lastVal))}` : "");
  canvas.setAttribute("aria-label", text);
  $("curves-caption").textContent = `${series.train.length} training and ${series.val.length} validation rows; `
    + "the y axis stops at the 98th percentile of the training rows (or the highest validation row), so that the first steps do not flatten the rest.";
}

async function poll(name, mine) {
  const fresh = await getJSON(`/api/models/${encodeURIComponent(name)}/metrics?since=${rows.length}`);
  if (mine !== shown) return;
  rows = rows.concat(fresh);
  if (fresh.length) draw();
}

async function show(name) {
  clearInterval(timer);
  shown += 1;
  const mine = shown;
  rows = [];
  const info = await getJSON(`/api/models/${encodeURIComponent(name)}`);
  if (mine !== shown) return;
  $("config").textContent = JSON.stringify(info.config, null, 1);
  showFigures(info);
  await poll(name, mine);
  timer = setInterval(() => poll(name, mine), 5000);
}

select.addEventListener("change", () => show(select.value));
if (list.length) show(list[0].name);
