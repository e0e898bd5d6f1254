"""The FastAPI application: JSON and files over the ``Pipeline`` verbs, each route a module-level handler.

Every model call goes through :func:`call`, which runs it on the model's own thread in turn
(``Served.run``: 503 when the model is busy); a ``VaekitError`` becomes HTTP 400 with its one line.
Uploads are written to a temporary folder under their own base name (so that an error names
``tune.mid``, not a temporary path) and read by the modality's own ``read``.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.types import ASGIApp, Receive, Scope, Send

from vaekit import capabilities, plugins, runs
from vaekit.errors import VaekitError
from vaekit.makers import makers
from vaekit.pipeline import seeded
from vaekit.server.models import Served
from vaekit.server.uploads import safe_name

MAX_UPLOAD = 16 * 1024 * 1024
MAX_ITEMS = 64
MAX_SONG_ITEMS = 1024  # items /api/items describes at most (a 10-minute song holds some 300 2-bar windows)
STATIC = Path(__file__).parent / "static"
MAX_SEED = 2**63 - 1
MAX_CHORDS = 400  # characters of a typed progression ("C G Am F": one chord a bar of a 64-bar model is some 200)
#: The declared range of every numeric field, inclusive: what a request may send, and what a 400 says.
RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 10.0),  # 0: greedy (sequences) or the mean (pixels)
    "spread": (0.0, 10.0),  # 0: the prior's centres, 1: the prior as fitted
    "amount": (-10.0, 10.0),  # along an attribute vector, in its own units
    "seed": (0, MAX_SEED),
    "count": (1, MAX_ITEMS),
    "steps": (2, MAX_ITEMS),
    "index": (0, 9999),  # which item of a file that holds several
    "index_a": (0, 9999),
    "index_b": (0, 9999),
    "item": (0, MAX_ITEMS - 1),
    "since": (0, 2**31 - 1),
    "z": (-100.0, 100.0),  # codes lie within a few units of 0; far out the decoder overflows
}


def ranged(source: Callable[..., Any], name: str, default: Any) -> Any:
    """A form or query parameter ``name`` (``source``: ``Form`` or ``Query``) within ``RANGES[name]``;
    a float one must also be finite."""
    low, high = RANGES[name]
    finite = {"allow_inf_nan": False} if isinstance(low, float) else {}
    return source(default, ge=low, le=high, **finite)


Latent = Annotated[float, Field(ge=RANGES["z"][0], le=RANGES["z"][1], allow_inf_nan=False)]


class DecodeRequest(BaseModel):
    model: str
    z: list[Annotated[list[Latent], Field(min_length=1, max_length=4096)]] = Field(min_length=1, max_length=MAX_ITEMS)
    temperature: float = Field(0.0, ge=RANGES["temperature"][0], le=RANGES["temperature"][1], allow_inf_nan=False)
    seed: int = Field(0, ge=0, le=MAX_SEED)
    chords: str | None = Field(None, max_length=MAX_CHORDS)


def field_name(loc: tuple[Any, ...]) -> str:
    """``('body', 'z', 0, 1)`` -> ``z[0][1]``: the field as the request named it."""
    parts = [p for p in loc if p not in ("body", "query", "path", "form")] or ["request"]
    return str(parts[0]) + "".join(f"[{p}]" for p in parts[1:])


def validation_line(error: dict[str, Any]) -> str:
    """One line naming the field of a validation error and, for a numeric one, its declared range."""
    name = field_name(tuple(error["loc"]))
    key = str(next((p for p in error["loc"] if p in RANGES), ""))
    if key and error["type"] not in ("missing", "list_type", "too_short", "too_long"):
        low, high = RANGES[key]
        if isinstance(low, float):
            what, low, high = "a finite number", f"{low:g}", f"{high:g}"
        else:
            what = "an integer"
        return f"{name}: must be {what} in {low}..{high}, got {repr(error.get('input'))[:40]}"
    return f"{name}: {error['msg'][:1].lower()}{error['msg'][1:]}"


def create_app(models: dict[str, Served], max_upload: int = MAX_UPLOAD) -> FastAPI:
    """The application serving ``models`` (by name) and the pages."""
    # the API docs (/docs, /redoc) from Swagger UI and ReDoc as fastapi-offline ships them: no CDN
    app = FastAPIOffline(title="vaekit studio", description="The vaekit verbs over HTTP.")
    app.state.models, app.state.max_upload, app.state.pages = models, max_upload, plugins.registry().pages
    app.state.makers = {name: m for name, m in makers().items() if m.model in models}
    app.add_middleware(CapUploads, limit=max_upload)
    app.add_exception_handler(VaekitError, bad_input)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, bug)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for modality, folder in app.state.pages.items():
        app.mount(f"/web/{modality}", StaticFiles(directory=folder, html=True), name=f"web-{modality}")
    return app


# errors -----------------------------------------------------------------------------------------


class CapUploads:
    """413 for a request whose declared length is over ``limit`` bytes, before its body is read (plain
    ASGI: a cancelled call reaches its handler, which answers 503, rather than a middleware's task)."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = dict(scope.get("headers", [])).get(b"content-length", b"")
        if scope["type"] == "http" and length.isdigit() and int(length) > self.limit:
            detail = {"detail": f"upload too large: over {self.limit // 2**20} MiB"}
            await JSONResponse(detail, status_code=413)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def bad_input(request: Request, e: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(e)}, status_code=400)


async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
    return JSONResponse({"detail": validation_line(e.errors()[0])}, status_code=400)


async def bug(request: Request, e: Exception) -> JSONResponse:
    """A bug, not bad input: one line rather than a bare 500 (uvicorn logs the traceback)."""
    line = f"{type(e).__name__}: {e}".splitlines()[0] if str(e) else type(e).__name__
    return JSONResponse({"detail": f"internal error (a bug in vaekit): {line[:200]}"}, status_code=500)


# helpers ----------------------------------------------------------------------------------------


def served(request: Request, name: str) -> Served:
    """The model called ``name``: 404 when there is none, 400 when the name is a path."""
    models = request.app.state.models
    if name not in models:
        what = "a path" if ("/" in name or "\\" in name or name.startswith(".")) else "no model"
        raise HTTPException(404 if what == "no model" else 400,
                            f"{name!r} is {what}; models are named: {', '.join(sorted(models)) or 'none'}")
    return models[name]


async def call(request: Request, name: str, verb: Callable[[Any], Any]) -> Any:
    """``verb(pipeline)`` on model ``name``'s thread, in turn."""
    return await served(request, name).run(verb)


@contextmanager
def reading(p: Any, **options: str | None) -> Iterator[None]:
    """Reading options of the command line (``data.bars``, ``data.chords``; None or "": not given) for one
    call, on the model's thread: no other call sees them."""
    data = p.config.setdefault("data", {})
    held = {key: data[key] for key in options if key in data}
    data.update({key: value or None for key, value in options.items()})
    try:
        yield
    finally:
        for key in options:
            data.pop(key, None)
        data.update(held)


def chords_field() -> Any:
    """The optional ``chords`` form field: the progression a chord model decodes over (``--chords``)."""
    return Form(None, max_length=MAX_CHORDS)


@contextmanager
def uploaded(request: Request, *files: UploadFile) -> Iterator[list[Path]]:
    """The uploads as files under their base names (an empty or oversized one is refused)."""
    limit = request.app.state.max_upload
    with tempfile.TemporaryDirectory(prefix="vaekit-serve-") as tmp:
        paths = []
        for i, f in enumerate(files):
            name = safe_name(f.filename)
            data = f.file.read(limit + 1)
            if len(data) > limit:
                raise HTTPException(413, f"{name}: upload too large: over {limit // 2**20} MiB")
            if not data:
                raise HTTPException(400, f"{name}: empty file")
            (Path(tmp) / str(i)).mkdir()
            path = Path(tmp) / str(i) / name
            path.write_bytes(data)
            paths.append(path)
        try:
            yield paths
        except VaekitError as e:  # name the upload, not where it was kept
            message = str(e)
            for path in paths:
                message = message.replace(f"{path.parent}/", "")
            raise VaekitError(message) from None


def answer(p: Any, model: str, x: Any, fmt: str, item: int | None,
           extra: list[dict[str, Any]] | None = None) -> Response:
    """Items ``x`` of pipeline ``p`` as JSON (each item's values, what the modality says of it, and
    ``extra``) or as the modality's file in format ``fmt`` (one item with ``item``, else all in one
    file). Runs on the model's thread, as the verb that made ``x`` did."""
    if fmt == "json":
        described = capabilities.describe(p.handler, x, p.config)
        return JSONResponse({"model": model, "modality": p.modality.name, "items": [
            {"index": i, "values": x[i].tolist(), **described[i], **(extra[i] if extra else {})}
            for i in range(len(x))]})
    suffix = f".{fmt.lower()}"
    if suffix not in (p.handler.output_suffix, *p.modality.file_types):
        raise HTTPException(400, f"format {fmt!r}: the {p.modality.name} modality writes json or "
                                 f"{p.handler.output_suffix.lstrip('.')}")
    if item is not None and not 0 <= item < len(x):
        raise HTTPException(400, f"item {item} is out of range (0..{len(x) - 1})")
    tmp = Path(tempfile.mkdtemp(prefix="vaekit-serve-"))
    out = tmp / f"{model}{'' if item is None else f'_{item:02d}'}{suffix}"
    try:
        if item is not None:
            p.handler.write(x[item], out, p.config)
            written = [out]
        else:
            written = p.handler.write_interpolation(x, out, p.config)
        if written != [out]:
            raise HTTPException(400, f"the {p.modality.name} modality writes these items as several files; "
                                     "ask for one with ?item=N")
    except BaseException:
        shutil.rmtree(tmp)
        raise
    return FileResponse(out, filename=out.name, background=BackgroundTask(shutil.rmtree, tmp))


def count_ok(n: int, what: str) -> None:
    if not 1 <= n <= MAX_ITEMS:
        raise HTTPException(400, f"{what} must lie in 1..{MAX_ITEMS}, got {n}")


# models -----------------------------------------------------------------------------------------

router = APIRouter()


@router.get("/api/models")
def list_models(request: Request) -> list[dict[str, Any]]:
    """Every model served: name, modality, preset, card, attribute vectors, file verbs, page."""
    rows = []
    for name, m in request.app.state.models.items():
        config = m.config()
        modality = plugins.modalities().get(config["modality"])
        handler = modality.handler(config) if modality else None
        vectors = handler.attribute_vectors(m.path, config) if isinstance(handler, capabilities.HasAttributes) else {}
        rows.append({"name": name, "modality": config["modality"], "preset": config.get("preset"),
                     "card": m.card, "shipped": m.card is not None, "attributes": sorted(vectors),
                     "latent_dim": config.get("model", {}).get("latent_dim"),
                     "file_types": list(modality.file_types) if modality else [],
                     "datasets": sorted(modality.datasets()) if modality else [],
                     "verbs": capabilities.file_verbs(handler, config),
                     "chords": capabilities.takes_chords(handler, config),
                     "page": (f"/web/{config['modality']}/{capabilities.web_page(handler, config)}"
                              if config["modality"] in request.app.state.pages else None)})
    return rows


@router.get("/api/models/{name}")
def model_info(request: Request, name: str) -> dict[str, Any]:
    """A model's config, card and held-out figures (the last validation row of its metrics)."""
    m = served(request, name)
    rows = runs.RunDir(m.path).read_metrics()
    figures = [r for r in rows if r.get("split") == "val"]
    return {"name": name, "config": m.config(), "card": m.card, "last_validation": figures[-1] if figures else None,
            "steps": rows[-1].get("step") if rows else None}


@router.get("/api/models/{name}/metrics")
def metrics(request: Request, name: str, since: int = ranged(Query, "since", 0)) -> list[dict[str, Any]]:
    """The rows of ``metrics.jsonl`` from row ``since`` on (the runs page polls this while a run trains)."""
    return runs.RunDir(served(request, name).path).read_metrics()[since:]


@router.get("/api/models/{name}/plane")
async def plane(request: Request, name: str) -> dict[str, Any]:
    """The latent map's plane (``Pipeline.plane``), computed once per model."""
    cache = served(request, name).cache
    if "plane" not in cache:
        cache["plane"] = await call(request, name, lambda p: p.plane())
    return {"model": name, **cache["plane"]}


@router.get("/api/example")
async def example(request: Request, model: str, dataset: str, index: int = ranged(Query, "index", 0)) -> FileResponse:
    """Item ``index`` of a built-in dataset of the model's modality as an ordinary file
    (``Pipeline.examples``, 8 written once per model and dataset), to try the verbs on."""
    cache = served(request, model).cache

    def export(p: Any) -> list[Path]:
        if dataset not in p.modality.datasets():
            raise HTTPException(404, f"{dataset!r}: the {p.modality.name} modality has the datasets "
                                     f"{', '.join(sorted(p.modality.datasets()))}")
        return p.examples(dataset, 8, tempfile.mkdtemp(prefix="vaekit-serve-"))

    key = f"example:{dataset}"
    if key not in cache:
        cache[key] = await call(request, model, export)
    files = cache[key]
    if index >= len(files):
        raise HTTPException(404, f"{dataset} has {len(files)} examples")
    return FileResponse(files[index], filename=files[index].name)


# verbs ------------------------------------------------------------------------------------------


@router.post("/api/generate")
async def generate(request: Request, model: str = Form(...), count: int = ranged(Form, "count", 8),
                   temperature: float = ranged(Form, "temperature", 1.0), seed: int = ranged(Form, "seed", 0),
                   spread: float | None = ranged(Form, "spread", None), chords: str | None = chords_field(),
                   format: str = Query("json"), item: int | None = ranged(Query, "item", None)) -> Response:
    """``count`` samples from the prior at ``temperature``; the same seed gives the same samples;
    ``spread``: how far from the prior's centres (the model's own ``generate.spread`` when not given);
    ``chords``: the progression a chord model decodes over (else held-out ones drawn by the seed)."""
    def verb(p: Any) -> Response:
        with reading(p, chords=chords):
            x = p.generate(count, temperature, spread=spread, generator=seeded(seed))
            return answer(p, model, x, format, item)

    return await call(request, model, verb)


@router.post("/api/items")
async def items(request: Request, model: str = Form(...), file: UploadFile = File(...),
                chords: str | None = chords_field()) -> JSONResponse:
    """Every item of the upload ``file`` as the model reads it (for a song: its windows, in order), each
    described with the ``index`` that a verb's ``index``, ``index_a`` or ``index_b`` takes; ``count`` is
    how many the file holds. The melody page draws them as a bar picker over the whole song."""
    with uploaded(request, file) as (path,):
        def read(p: Any) -> tuple[Any, Any, list[dict[str, Any]]]:
            with reading(p, chords=chords):
                x = p.read_items(path)
                return p, x, capabilities.describe(p.handler, x[:MAX_SONG_ITEMS], p.config)

        p, x, described = await call(request, model, read)
    return JSONResponse({"model": model, "modality": p.modality.name, "name": path.name, "count": len(x),
                         "items": [{"index": i, "values": x[i].tolist(), **d} for i, d in enumerate(described)]})


@router.post("/api/interpolate")
async def interpolate(request: Request, model: str = Form(...), a: UploadFile = File(...),
                      b: UploadFile = File(...), steps: int = ranged(Form, "steps", 8), method: str = Form("slerp"),
                      index_a: int = ranged(Form, "index_a", 0), index_b: int = ranged(Form, "index_b", 0),
                      chords: str | None = chords_field(), format: str = Query("json"),
                      item: int | None = ranged(Query, "item", None)) -> Response:
    """Decoded steps from upload ``a`` to upload ``b``, endpoints included (a chord model's over
    ``chords``, else over A's)."""
    def verb(p: Any, pa: Path, pb: Path) -> Response:
        with reading(p, chords=chords):
            return answer(p, model, p.interpolate(pa, pb, steps, method, index_a, index_b), format, item)

    with uploaded(request, a, b) as (pa, pb):
        return await call(request, model, lambda p: verb(p, pa, pb))


@router.post("/api/reconstruct")
async def reconstruct(request: Request, model: str = Form(...), files: list[UploadFile] = File(...),
                      index: int = ranged(Form, "index", 0), chords: str | None = chords_field(),
                      format: str = Query("json"), item: int | None = ranged(Query, "item", None)) -> Response:
    """Reconstructions of the uploads (decoded from their posterior means), each with its input; a chord
    model's over ``chords`` where given (re-harmonised), else over their own."""
    count_ok(len(files), "the number of files")

    def verb(p: Any, paths: list[Path]) -> Response:
        with reading(p, chords=chords):
            inputs, outputs = p.reconstruct(paths, index)
            return answer(p, model, outputs, format, item, [{"input": x.tolist()} for x in inputs])

    with uploaded(request, *files) as paths:
        return await call(request, model, lambda p: verb(p, paths))


@router.post("/api/encode")
async def encode(request: Request, model: str = Form(...), files: list[UploadFile] = File(...),
                 index: int = ranged(Form, "index", 0), chords: str | None = chords_field()) -> dict[str, Any]:
    """Posterior means ``z`` and log-variances of the uploads (a chord model reads a file without chords
    of its own over ``chords``)."""
    count_ok(len(files), "the number of files")

    def verb(p: Any, paths: list[Path]) -> dict[str, Any]:
        with reading(p, chords=chords):
            return p.encode(paths, index=index)

    with uploaded(request, *files) as paths:
        result = await call(request, model, lambda p: verb(p, paths))
    return {"model": model, "names": [f.filename for f in files], "z": result["z"].tolist(),
            "logvar": result["logvar"].tolist()}


@router.post("/api/decode")
async def decode(request: Request, body: DecodeRequest, format: str = Query("json"),
                 item: int | None = ranged(Query, "item", None)) -> Response:
    """Outputs for latents ``z`` (temperature 0: greedy, or the mean); a chord model's over ``chords``."""
    if len({len(row) for row in body.z}) > 1:
        raise HTTPException(400, "z must be rows of equal length")

    def verb(p: Any) -> Response:
        with reading(p, chords=body.chords):
            return answer(p, body.model, p.decode(body.z, body.temperature, generator=seeded(body.seed)), format,
                          item)

    return await call(request, body.model, verb)


@router.post("/api/transform")
async def transform(request: Request, model: str = Form(...), a: UploadFile = File(...), attribute: str = Form(...),
                    amount: float = ranged(Form, "amount", 1.0), index: int = ranged(Form, "index", 0),
                    temperature: float = ranged(Form, "temperature", 0.0), seed: int = ranged(Form, "seed", 0),
                    bars: str | None = Form(None), format: str = Query("json"),
                    item: int | None = ranged(Query, "item", None)) -> Response:
    """Move an upload along one of the model's attribute vectors: items are the reconstruction
    (z) and the transformed output (z + amount * vector). ``bars`` ("A:B", as ``vaekit transform
    --bars``): those bars of the whole song are moved, window by window, and both items are the whole
    song, its other bars as read."""
    labels = [{"label": "reconstruction"}, {"label": f"{attribute} {amount:+g}"}]

    def verb(p: Any, path: Path) -> Response:
        with reading(p, bars=bars):
            x = p.transform(path, attribute, amount, index, temperature, generator=seeded(seed))
        return answer(p, model, x, format, item, labels)

    with uploaded(request, a) as (pa,):
        return await call(request, model, lambda p: verb(p, pa))


@router.post("/api/verbs/{verb}")
async def file_verb(request: Request, verb: str, model: str = Form(...), file: UploadFile = File(...),
                    temperature: float = ranged(Form, "temperature", 0.0), seed: int = ranged(Form, "seed", 0),
                    format: str = Query("json")) -> Response:
    """One of the model's own verbs on a whole file (``Pipeline.apply``; ``GET /api/models`` lists each
    model's ``verbs``, e.g. a GrooVAE model's groove and drumify): one item, the verb's output, with the
    file as the verb read it as its ``input``."""
    def run(p: Any, path: Path) -> Response:
        inputs, outputs = p.apply(verb, path, temperature, generator=seeded(seed))
        return answer(p, model, outputs, format, None, [{"input": inputs[0].tolist(), "verb": verb}])

    with uploaded(request, file) as (path,):
        return await call(request, model, lambda p: run(p, path))


@router.get("/api/makers")
def list_makers(request: Request) -> list[dict[str, Any]]:
    """What the plugins make from options alone on the models served (``vaekit.makers``): name, the model
    it runs on, its options with their ranges, its page and its card."""
    models = request.app.state.models
    rows = []
    for name, m in request.app.state.makers.items():
        modality = models[m.model].config()["modality"]
        rows.append({"name": name, "model": m.model, "modality": modality, "description": m.description,
                     "options": [o.to_dict() for o in m.options], "card": m.card(),
                     "page": f"/web/{modality}/{m.page}" if modality in request.app.state.pages else None})
    return rows


@router.post("/api/make/{name}")
async def make(request: Request, name: str, seed: int = ranged(Form, "seed", 0), format: str = Query("json"),
               item: int | None = ranged(Query, "item", None)) -> Response:
    """Items made by maker ``name`` from its options (the form's other fields, each checked against its
    declared range); the same seed makes the same items. JSON, or the model's file (``?format=mid&item=0``)."""
    maker = request.app.state.makers.get(name)
    if maker is None:
        raise HTTPException(404, f"{name!r}: no maker of that name; served: "
                                 f"{', '.join(sorted(request.app.state.makers)) or 'none'}")
    fields = {k: v for k, v in (await request.form()).multi_items() if k != "seed"}
    if any(not isinstance(v, str) for v in fields.values()):
        raise HTTPException(400, f"{name} takes no files")
    options = maker.parse(fields)

    def verb(p: Any) -> Response:
        x, facts = maker.make(p, options, seeded(seed))
        return answer(p, maker.model, x, format, item, facts)

    return await call(request, maker.model, verb)


# pages ------------------------------------------------------------------------------------------


@router.get("/", include_in_schema=False)
async def shell() -> HTMLResponse:
    """The shell page from memory: no file I/O, so no wait for a worker thread while uploads hold them."""
    return HTMLResponse(shell_page())


@functools.cache
def shell_page() -> bytes:
    return (STATIC / "index.html").read_bytes()
