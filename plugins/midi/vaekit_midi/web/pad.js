// The four-corner blend pad's pointer and keyboard handling, shared by the melody and drums pages: drag
// (or arrow keys, Shift for bigger steps) moves the point, Enter or Space plays what it decodes.

export function padEvents(pad, { ready, at, move, play, notReady = () => {} }) {
  let dragging = false;
  const follow = (e) => {
    const box = pad.getBoundingClientRect();
    move((e.clientX - box.left) / box.width, (e.clientY - box.top) / box.height);
  };
  pad.addEventListener("pointerdown", (e) => {
    if (!ready()) return notReady();
    dragging = true;
    pad.setPointerCapture(e.pointerId);
    follow(e);
  });
  pad.addEventListener("pointermove", (e) => { if (dragging) follow(e); });
  pad.addEventListener("pointerup", () => { dragging = false; });
  pad.addEventListener("keydown", (e) => {
    if (!ready()) return;
    const step = e.shiftKey ? 0.25 : 0.05;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const [u, v] = at();
    if (moves[e.key]) {
      e.preventDefault();
      move(u + moves[e.key][0], v + moves[e.key][1]);
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      play();
    }
  });
}
