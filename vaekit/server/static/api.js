// The studio's shared helpers: every page talks to the server only through these API calls, and shows
// its busy state, its errors and its status through the helpers at the end.

export async function models(modality) {
  const all = await (await fetch("/api/models")).json();
  return modality ? all.filter((m) => m.modality === modality) : all;
}

async function check(response) {
  if (!response.ok) {
    let detail = response.statusText || `HTTP ${response.status}`;
    try { detail = (await response.json()).detail; } catch (e) { /* not JSON */ }
    if (response.status === 503) {
      const wait = response.headers.get("retry-after");
      detail = `${typeof detail === "string" ? detail : "the model is busy"}${wait ? ` (try again in ${wait} s)` : ""}`;
    }
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return response;
}

// POST a verb: `fields` become a multipart form (File values upload); `format` other than json returns a
// Blob. `options.signal` (an AbortController's) cancels it.
export async function verb(name, fields, format = "json", item = null, options = {}) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== null && v !== undefined) form.append(key, v);
    }
  }
  const params = new URLSearchParams({ format });
  if (item !== null) params.set("item", item);
  const response = await check(await fetch(`/api/${name}?${params}`, { method: "POST", body: form,
    signal: options.signal }));
  return format === "json" ? response.json() : response.blob();
}

export async function decode(model, z, format = "json", item = null, options = {}) {
  const params = new URLSearchParams({ format });
  if (item !== null) params.set("item", item);
  const body = { model, z };
  if (options.temperature !== undefined) body.temperature = Number(options.temperature);
  if (options.seed !== undefined) body.seed = Number(options.seed);
  if (options.chords) body.chords = options.chords;
  const response = await check(await fetch(`/api/decode?${params}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    signal: options.signal,
  }));
  return format === "json" ? response.json() : response.blob();
}

export async function getJSON(url, options = {}) {
  return (await check(await fetch(url, { signal: options.signal }))).json();
}

export async function example(model, dataset, index, options = {}) {
  const response = await check(await fetch(`/api/example?${new URLSearchParams({ model, dataset, index })}`,
    { signal: options.signal }));
  const name = /filename="?([^";]+)/.exec(response.headers.get("content-disposition") || "")?.[1] || `example_${index}`;
  return new File([await response.blob()], name);
}

export function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}

// Fill a <select> with the models of a modality; call `onChange(model)` now and on each choice.
export async function modelPicker(select, modality, onChange) {
  const list = await models(modality);
  select.replaceChildren(...list.map((m) => new Option(`${m.name} (${m.preset})`, m.name)));
  const pick = () => onChange(list.find((m) => m.name === select.value));
  select.addEventListener("change", pick);
  if (list.length) pick();
  return list;
}

export function showError(element, error) {
  element.textContent = error ? String(error.message || error) : "";
}

// A range input with its value shown beside it (an <output>), inside a <label>: [label, input].
export function rangeControl(id, name, { min, max, step, value, format = (v) => Number(v).toFixed(2) }) {
  const label = document.createElement("label");
  const input = Object.assign(document.createElement("input"), { id, type: "range", min, max, step, value });
  const shown = Object.assign(document.createElement("output"), { id: `${id}-value`, htmlFor: id });
  const update = () => {
    shown.textContent = format(input.value);
    input.setAttribute("aria-valuetext", `${name} ${format(input.value)}`);
  };
  input.addEventListener("input", update);
  input.setValue = (v) => { input.value = v; update(); };
  update();
  label.append(`${name} `, input, " ", shown);
  return [label, input];
}

// The generate controls inside `element` (its data-count the default count): temperature (unless
// `temperature` is false), spread (from `spread`, the model's own default), count and seed, each value
// shown, and the Generate button; `onGenerate(fields)` gets the generate verb's fields.
export function generateControls(element, onGenerate, { temperature = true, spread = 1.0 } = {}) {
  const number = (id, name, value, extra) => {
    const label = document.createElement("label");
    const input = Object.assign(document.createElement("input"), { id, type: "number", value, ...extra });
    label.append(`${name} `, input);
    return [label, input];
  };
  const fields = [];
  if (temperature) {
    fields.push(["temperature", rangeControl("temperature", "temperature", { min: 0, max: 2, step: 0.05, value: 1 })]);
  }
  fields.push(["spread", rangeControl("spread", "spread", { min: 0, max: 2, step: 0.05, value: spread })]);
  fields.push(["count", number("count", "count", element.dataset.count || 8, { min: 1, max: 64 })]);
  fields.push(["seed", number("seed", "seed", 0, { min: 0 })]);
  const button = Object.assign(document.createElement("button"), { id: "generate", textContent: "Generate",
    className: "act" });
  element.replaceChildren(...fields.map(([, [label]]) => label), button);
  button.addEventListener("click", () => onGenerate(Object.fromEntries(fields.map(([name, [, f]]) => [name, f.value]))));
  return Object.fromEntries(fields.map(([name, [, f]]) => [name, f]));
}

// One request at a time per page: while `work(signal)` runs the page's action controls (class "act")
// are disabled and `main` is aria-busy; a later `start` or `cancel` aborts it, and its answer is then
// dropped (work should check `signal.aborted` before showing anything).
export class Requests {
  constructor(root = document) {
    this.root = root;
    this.controller = null;
    this.id = 0;
  }

  busy(on) {
    for (const control of this.root.querySelectorAll(".act")) control.disabled = on || control.dataset.off === "1";
    document.querySelector("main")?.setAttribute("aria-busy", on ? "true" : "false");
  }

  cancel() {
    this.id += 1;
    if (this.controller) this.controller.abort();
    this.controller = null;
    this.busy(false);
  }

  // Run `work(signal)`; resolves to its answer, or to null where it failed (onError gets why) or was superseded.
  async start(work, onError) {
    this.cancel();
    const id = this.id;
    const controller = new AbortController();
    this.controller = controller;
    this.busy(true);
    try {
      const answer = await work(controller.signal);
      return id === this.id ? answer : null;
    } catch (e) {
      if (id === this.id && e.name !== "AbortError") onError(e);
      return null;
    } finally {
      if (id === this.id) {
        this.controller = null;
        this.busy(false);
      }
    }
  }
}
