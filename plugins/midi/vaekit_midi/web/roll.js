// Piano rolls a musician reads: a keyboard with note names along the pitch axis, bar lines and bar
// numbers from the music's meter, beats, a gap at the end of every note (so repeated notes of one pitch
// show as separate notes), a playhead, and a text alternative for screen readers.

const NAMES = ["C", "C♯", "D", "E♭", "E", "F", "F♯", "G", "A♭", "A", "B♭", "B"];
const BLACK = new Set([1, 3, 6, 8, 10]);
const COLOURS = ["#2563eb", "#16a34a", "#dc2626"];
export const RULER = 16; // the bar-number strip at the top of a roll, in pixels

export function noteName(pitch) {
  return `${NAMES[pitch % 12]}${Math.floor(pitch / 12) - 1}`;
}

// Steps a bar and a beat: the meter the answer reports (bar_steps, or meter "3/4"), else 4/4.
export function meterOf(item) {
  const spb = item.steps_per_bar || 16;
  const [num, den] = String(item.meter || "4/4").split("/").map(Number);
  const bar = item.bar_steps || Math.round((spb * num) / den) || spb;
  return { bar, beat: Math.max(1, Math.round(spb / (den || 4))), name: item.meter || (item.bar_steps ? "" : "4/4") };
}

export function stepsOf(item) {
  return item.steps ?? item.values.flat(Infinity).length / item.tracks.length; // trios hold 3 rows; piano: notes
}

export function notesOf(item, offset = 0) {
  return item.tracks.flatMap((t, k) => t.notes.map(([start, end, pitch]) => ({
    start: start + offset, end: end + offset, pitch, track: k, drums: t.drums })));
}

// The lowest and highest pitch to show for these items: their notes with a little room, two octaves at least.
export function pitchRange(items) {
  const pitches = items.flatMap((item) => notesOf(item).filter((n) => !n.drums).map((n) => n.pitch));
  let low = pitches.length ? Math.min(...pitches) - 2 : 60, high = pitches.length ? Math.max(...pitches) + 2 : 72;
  while (high - low < 24) { low -= 1; high += 1; }
  return [low, high];
}

// A chord model's chord symbols along the ruler, each at its chord's first step (after the bar number on a
// bar line); none where the roll is a thumbnail.
function drawChords(ctx, item, px, bar) {
  if (!item.chords || px < 6) return;
  ctx.save();
  ctx.font = "bold 11px system-ui, sans-serif";
  ctx.fillStyle = COLOURS[1];
  let free = 0; // where the symbol before ended: a symbol that would overlap it is left out
  for (const [start, , name] of item.chords) {
    const x = start * px + (start % bar === 0 ? 18 : 4);
    if (x < free) continue;
    const text = name === "N" ? "N.C." : name;
    ctx.fillText(text, x, RULER / 2);
    free = x + ctx.measureText(text).width + 6;
  }
  ctx.restore();
}

// A sentence for screen readers: how long, which notes, from where to where.
export function describeNotes(item, what = "melody") {
  const { bar, name } = meterOf(item);
  const notes = notesOf(item).filter((n) => !n.drums && !(item.chords && n.track > 0)) // a chord model's melody
    .sort((a, b) => a.start - b.start);
  const bars = stepsOf(item) / bar;
  if (!notes.length) return `${what}: ${bars} bar(s), silent`;
  const pitches = notes.map((n) => n.pitch);
  const listed = notes.slice(0, 32).map((n) => noteName(n.pitch)).join(" ");
  const over = item.chords ? `, over ${item.chords.map((c) => (c[2] === "N" ? "N.C." : c[2])).join(" ")}` : "";
  return `${what}: ${notes.length} notes over ${bars} bar(s)${name ? ` of ${name}` : ""}${over}, from ${
    noteName(Math.min(...pitches))} to ${noteName(Math.max(...pitches))}: ${listed}${notes.length > 32 ? " …" : ""}`;
}

// The keyboard beside a roll: white and black keys, every C named (every white key where rows are tall).
export function drawKeys(canvas, low, high, rowHeight) {
  const rows = high - low + 1;
  canvas.height = RULER + rows * rowHeight;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = `${Math.min(11, rowHeight + 1)}px system-ui, sans-serif`;
  ctx.textBaseline = "middle";
  for (let pitch = low; pitch <= high; pitch += 1) {
    const y = RULER + (high - pitch) * rowHeight;
    const black = BLACK.has(pitch % 12);
    ctx.fillStyle = black ? "#333" : "#fff";
    ctx.fillRect(0, y, canvas.width, rowHeight);
    ctx.strokeStyle = "#bbb";
    ctx.strokeRect(0.5, y + 0.5, canvas.width - 1, rowHeight);
    if (!black && (pitch % 12 === 0 || rowHeight >= 12)) {
      ctx.fillStyle = pitch % 12 === 0 ? "#000" : "#666";
      ctx.fillText(noteName(pitch), 3, y + rowHeight / 2);
    }
  }
}

// Draw `item` on `canvas` at `px` pixels a step: returns nothing; `options`: low, high (pitch range),
// rowHeight, firstBar (number of the first bar), playhead (a step), band ([from, to) steps to shade),
// marks ([{step, text}] labels over the ruler), breaks (steps where the music jumps), numbers (false:
// no bar numbers).
export function drawRoll(canvas, item, px, options = {}) {
  const steps = stepsOf(item);
  const { bar, beat } = meterOf(item);
  const [low, high] = options.low !== undefined ? [options.low, options.high] : pitchRange([item]);
  const rowHeight = options.rowHeight || 10;
  canvas.width = Math.max(1, Math.ceil(steps * px) + 1);
  canvas.height = RULER + (high - low + 1) * rowHeight;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let pitch = low; pitch <= high; pitch += 1) { // black-key rows shaded, as a keyboard
    if (BLACK.has(pitch % 12)) {
      ctx.fillStyle = "#f1f3f5";
      ctx.fillRect(0, RULER + (high - pitch) * rowHeight, canvas.width, rowHeight);
    }
    if (pitch % 12 === 0) {
      ctx.fillStyle = "#dde1e6";
      ctx.fillRect(0, RULER + (high - pitch + 1) * rowHeight - 1, canvas.width, 1);
    }
  }
  if (options.band) {
    ctx.fillStyle = "rgba(250, 204, 21, 0.28)";
    ctx.fillRect(options.band[0] * px, 0, (options.band[1] - options.band[0]) * px, canvas.height);
  }
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  const firstBar = options.firstBar ?? 1;
  for (let step = 0; step <= steps; step += 1) {
    const x = Math.round(step * px) + 0.5;
    const isBar = step % bar === 0;
    if (!isBar && (step % beat !== 0 || px * beat < 6)) continue;
    if (isBar && px * bar < 8 && step % (bar * 8) !== 0) continue; // a thumbnail: every 8th bar line
    ctx.strokeStyle = isBar ? "#6b7280" : "#e5e7eb";
    ctx.beginPath();
    ctx.moveTo(x, isBar ? 0 : RULER);
    ctx.lineTo(x, canvas.height);
    ctx.stroke();
    if (isBar && step < steps && px * bar >= 14 && options.numbers !== false) {
      ctx.fillStyle = "#374151";
      ctx.fillText(String(firstBar + step / bar), x + 3, RULER / 2);
    }
  }
  drawChords(ctx, item, px, bar);
  for (const step of options.breaks || []) {
    ctx.strokeStyle = "#9333ea";
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(step * px + 0.5, 0);
    ctx.lineTo(step * px + 0.5, canvas.height);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const n of notesOf(item)) {
    const pitch = n.drums ? Math.min(high, Math.max(low, n.pitch)) : n.pitch;
    if (pitch < low || pitch > high) continue;
    const end = n.drums ? n.start + 1 : n.end;
    const x = n.start * px + 1, y = RULER + (high - pitch) * rowHeight + 1;
    const w = Math.max(2, (end - n.start) * px - Math.min(4, Math.max(2, px / 3)) - 1); // the gap before the next note
    ctx.fillStyle = COLOURS[n.track % COLOURS.length];
    ctx.fillRect(x, y, w, Math.max(2, rowHeight - 2));
    ctx.fillStyle = "rgba(255, 255, 255, 0.55)"; // an onset mark: every note's start shows
    ctx.fillRect(x, y, Math.min(2, w), Math.max(2, rowHeight - 2));
  }
  for (const mark of options.marks || []) {
    ctx.font = "bold 12px system-ui, sans-serif";
    const w = ctx.measureText(mark.text).width + 8;
    const x = Math.min(Math.max(0, mark.step * px), canvas.width - w);
    ctx.fillStyle = mark.colour || "#111827";
    ctx.fillRect(x, RULER + 2, w, 16);
    ctx.fillStyle = "#fff";
    ctx.fillText(mark.text, x + 4, RULER + 10);
  }
  if (options.playhead !== undefined && options.playhead !== null) {
    const x = Math.round(options.playhead * px) + 0.5;
    ctx.strokeStyle = "#ef4444";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, canvas.height);
    ctx.stroke();
    ctx.lineWidth = 1;
  }
}
