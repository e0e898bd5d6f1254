// A beat drawn as a drum machine's grid: one row a drum (named), one column a 16th note, bar and beat
// numbers along the top. Each hit is a block whose height and strength show its velocity, drawn where
// it is played: a hit off the grid is moved by its offset, with a line back to its step (blue: early,
// orange: late) and the step's cell outlined. A playhead and a keyboard cursor on top.
import { DRUMS } from "./beat.js";

export const LEFT = 104; // the drum names' column, in pixels
const TOP = 20; // the bar and beat numbers' strip
const FAMILY = ["#b91c1c", "#c2410c", "#a16207", "#a16207", "#15803d", "#15803d", "#15803d", "#7e22ce", "#7e22ce"];

export function gridSize(beat, cell = 26, row = 26, labels = true) {
  return { width: (labels ? LEFT : 0) + beat.steps * cell, height: (labels ? TOP : 0) + DRUMS.length * row };
}

// Draw `beat` on `canvas`; options: cell and row size, playhead (position in steps), cursor {drum, step},
// labels (false: a thumbnail without names or numbers).
export function drawGrid(canvas, beat, { cell = 26, row = 26, playhead = null, cursor = null, labels = true } = {}) {
  const left = labels ? LEFT : 0, top = labels ? TOP : 0;
  const { width, height } = gridSize(beat, cell, row, labels);
  const ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.font = "12px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  // the beats shaded in turn, then rows, steps, beats and bars
  for (let s = 0; s < beat.steps; s += 4) {
    ctx.fillStyle = (s / 4) % 2 ? "#f1f5f9" : "#fff";
    ctx.fillRect(left + s * cell, top, 4 * cell, DRUMS.length * row);
  }
  DRUMS.forEach((name, d) => {
    const y = top + d * row;
    ctx.strokeStyle = "#e2e8f0";
    ctx.beginPath(); ctx.moveTo(0, y + row + 0.5); ctx.lineTo(width, y + row + 0.5); ctx.stroke();
    if (!labels) return;
    ctx.fillStyle = d % 2 ? "#f8fafc" : "#eef2f7";
    ctx.fillRect(0, y, left, row);
    ctx.fillStyle = FAMILY[d];
    ctx.fillRect(0, y + 3, 4, row - 6);
    ctx.fillStyle = "#1e293b";
    ctx.textAlign = "left";
    ctx.fillText(name, 10, y + row / 2);
  });
  for (let s = 0; s <= beat.steps; s += 1) {
    const x = left + s * cell + 0.5;
    ctx.strokeStyle = s % 16 === 0 ? "#334155" : s % 4 === 0 ? "#94a3b8" : "#e2e8f0";
    ctx.lineWidth = s % 16 === 0 ? 2 : 1;
    ctx.beginPath(); ctx.moveTo(x, s % 4 === 0 && labels ? 4 : top); ctx.lineTo(x, height); ctx.stroke();
    if (labels && s < beat.steps && s % 4 === 0) {
      ctx.textAlign = "left";
      ctx.fillStyle = s % 16 === 0 ? "#0f172a" : "#64748b";
      ctx.font = s % 16 === 0 ? "bold 12px system-ui, sans-serif" : "11px system-ui, sans-serif";
      ctx.fillText(s % 16 === 0 ? `bar ${s / 16 + 1}` : `${(s % 16) / 4 + 1}`, x + 4, top / 2 + 1);
    }
  }
  ctx.lineWidth = 1;
  // the hits
  for (let d = 0; d < DRUMS.length; d += 1) {
    for (let s = 0; s < beat.steps; s += 1) {
      const vel = beat.vel[d][s];
      if (!vel) continue;
      const off = beat.off[d][s];
      const y = top + d * row, full = row - (labels ? 6 : 2), h = full * (0.3 + (0.7 * vel) / 127);
      const w = cell * 0.7, home = left + (s + 0.5) * cell, at = home + off * cell;
      if (Math.abs(off) * cell >= 1) {
        ctx.strokeStyle = "#94a3b8";
        ctx.strokeRect(home - w / 2 + 0.5, y + (row - full) / 2 + 0.5, w - 1, full - 1);
        ctx.strokeStyle = off < 0 ? "#2563eb" : "#ea580c";
        ctx.lineWidth = 2;
        ctx.beginPath(); ctx.moveTo(home, y + row - 2); ctx.lineTo(at, y + row - 2); ctx.stroke();
        ctx.lineWidth = 1;
      }
      ctx.globalAlpha = 0.35 + (0.65 * vel) / 127;
      ctx.fillStyle = FAMILY[d];
      ctx.fillRect(at - w / 2, y + (row - full) / 2 + full - h, w, h);
      ctx.globalAlpha = 1;
    }
  }
  if (cursor) {
    ctx.strokeStyle = "#2563eb";
    ctx.lineWidth = 2;
    ctx.strokeRect(left + cursor.step * cell + 1, top + cursor.drum * row + 1, cell - 2, row - 2);
    ctx.lineWidth = 1;
  }
  if (playhead !== null) {
    const x = left + playhead * cell;
    ctx.strokeStyle = "#dc2626";
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, height); ctx.stroke();
    ctx.lineWidth = 1;
  }
}

// The cell under a point of the canvas (CSS pixels from its top left), or null.
export function cellAt(beat, x, y, cell = 26, row = 26) {
  const left = LEFT, top = TOP;
  const step = Math.floor((x - left) / cell), drum = Math.floor((y - top) / row);
  if (x < left || y < top || step >= beat.steps || drum >= DRUMS.length) return null;
  return { drum, step };
}
