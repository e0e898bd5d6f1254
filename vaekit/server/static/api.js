// The studio's shared helpers: every page talks to the server only through these API calls.

export async function models(modality) {
  const all = await (await fetch("/api/models")).json();
  return modality ? all.filter((m) => m.modality === modality) : all;
}

async function check(response) {
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail; } catch (e) { /* not JSON */ }
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return response;
}

// POST a verb: `fields` become a multipart form (File values upload); `format` other than json returns a Blob.
export async function verb(name, fields, format = "json", item = null) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) form.append(key, v);
  }
  const params = new URLSearchParams({ format });
  if (item !== null) params.set("item", item);
  const response = await check(await fetch(`/api/${name}?${params}`, { method: "POST", body: form }));
  return format === "json" ? response.json() : response.blob();
}

export async function decode(model, z, format = "json", item = null) {
  const params = new URLSearchParams({ format });
  if (item !== null) params.set("item", item);
  const response = await check(await fetch(`/api/decode?${params}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ model, z }),
  }));
  return format === "json" ? response.json() : response.blob();
}

export async function getJSON(url) {
  return (await check(await fetch(url))).json();
}

export async function example(model, dataset, index) {
  const response = await check(await fetch(`/api/example?${new URLSearchParams({ model, dataset, index })}`));
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

// The temperature, count and seed inputs and the Generate button (#temperature, #count, #seed, #generate)
// inside `element`, its data-count the default count; `onGenerate(fields)` gets the generate verb's fields.
export function generateControls(element, onGenerate) {
  const input = (id, value, extra) => Object.assign(document.createElement("input"), { id, type: "number", value,
    ...extra });
  const fields = [["temperature", input("temperature", 1.0, { min: 0, max: 3, step: 0.1 })],
    ["count", input("count", element.dataset.count || 8, { min: 1, max: 64 })], ["seed", input("seed", 0)]];
  const button = Object.assign(document.createElement("button"), { id: "generate", textContent: "Generate" });
  element.replaceChildren(...fields.map(([name, field]) => {
    const label = document.createElement("label");
    label.append(`${name} `, field);
    return label;
  }), button);
  button.addEventListener("click", () => onGenerate(Object.fromEntries(fields.map(([name, f]) => [name, f.value]))));
}
