// The vectors page: samples of a vectors model drawn as lines, through the studio's HTTP API alone.
const $ = (id) => document.getElementById(id);
const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#ca8a04"];

async function models() {
  const rows = await (await fetch("/api/models")).json();
  for (const row of rows.filter((r) => r.modality === "vectors")) {
    $("model").append(new Option(row.name, row.name));
  }
}

function draw(items) {
  const svg = $("curves");
  const [w, h] = [svg.width.baseVal.value, svg.height.baseVal.value];
  const values = items.flatMap((item) => item.values.flat());
  const [low, high] = [Math.min(...values), Math.max(...values)];
  svg.replaceChildren();
  items.forEach((item, k) => {
    const v = item.values.flat();
    const points = v.map((y, i) => `${(i / (v.length - 1)) * (w - 20) + 10},${h - 10 - ((y - low) / (high - low || 1)) * (h - 20)}`);
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", COLOURS[k % COLOURS.length]);
    line.setAttribute("class", "curve");
    svg.append(line);
  });
}

async function generate() {
  $("error").textContent = "";
  const form = new FormData();
  form.append("model", $("model").value);
  form.append("count", "8");
  form.append("seed", $("seed").value);
  const response = await fetch("/api/generate", { method: "POST", body: form });
  const body = await response.json();
  if (!response.ok) {
    $("error").textContent = body.detail;
    return;
  }
  draw(body.items);
}

$("generate").addEventListener("click", generate);
await models();
if ($("model").value) await generate();
