"""The FastAPI application: JSON and files over the ``Pipeline`` verbs, one lock per model.

Every model call goes through :func:`_call`, which takes the model's lock and turns a ``VaekitError``
into HTTP 400 with its one line. Uploads are written to a temporary folder under their own base name
(so that an error names ``tune.mid``, not a temporary path) and read by the modality's own ``read``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from vaekit import plugins, runs
from vaekit.errors import VaekitError
from vaekit.pipeline import seeded
from vaekit.server.items import add_routes as add_item_routes
from vaekit.server.models import Served
from vaekit.server.uploads import safe_name

MAX_UPLOAD = 16 * 1024 * 1024
MAX_ITEMS = 64
STATIC = Path(__file__).parent / "static"
MAX_SEED = 2**63 - 1
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


def web_pages() -> dict[str, Path]:
    """Modality name -> folder of its page's static files, from the plugins' ``register_web`` hooks."""
    pages: dict[str, Path] = {}
    plugins.load_plugins()
    for impl in plugins.pm.hook.register_web.get_hookimpls():
        try:
            impl.function(register=lambda modality, folder: pages.setdefault(modality, Path(folder)))
        except Exception as e:  # a broken plugin must not break the server
            plugins.errors[impl.plugin_name] = f"register_web raised {type(e).__name__}: {e}"
    return pages


def create_app(models: dict[str, Served], max_upload: int = MAX_UPLOAD) -> FastAPI:
    """The application serving ``models`` (by name) and the pages."""
    app = FastAPI(title="vaekit studio", description="The vaekit verbs over HTTP.")
    app.state.models = models
    pages = web_pages()

    @app.middleware("http")
    async def cap_uploads(request: Request, call_next: Callable) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > max_upload:
            return JSONResponse({"detail": f"upload too large: over {max_upload // 2**20} MiB"}, status_code=413)
        return await call_next(request)

    @app.exception_handler(VaekitError)
    async def bad_input(request: Request, e: VaekitError) -> JSONResponse:
        return JSONResponse({"detail": str(e)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_line(e.errors()[0])}, status_code=400)

    @app.exception_handler(Exception)
    async def bug(request: Request, e: Exception) -> JSONResponse:
        """A bug, not bad input: one line rather than a bare 500 (uvicorn logs the traceback)."""
        line = f"{type(e).__name__}: {e}".splitlines()[0] if str(e) else type(e).__name__
        return JSONResponse({"detail": f"internal error (a bug in vaekit): {line[:200]}"}, status_code=500)

    def served(name: str) -> Served:
        if name not in models:
            what = "a path" if ("/" in name or "\\" in name or name.startswith(".")) else "no model"
            raise HTTPException(404 if what == "no model" else 400,
                                f"{name!r} is {what}; models are named: {', '.join(sorted(models)) or 'none'}")
        return models[name]

    def call(name: str, verb: Callable[[Any], Any]) -> Any:
        """``verb(pipeline)`` under the model's lock; a bad input becomes HTTP 400 with its one line."""
        with served(name).turn() as pipeline:
            return verb(pipeline)

    @contextmanager
    def uploaded(*files: UploadFile) -> Iterator[list[Path]]:
        """The uploads as files under their base names (an empty or oversized one is refused)."""
        with tempfile.TemporaryDirectory(prefix="vaekit-serve-") as tmp:
            paths = []
            for i, f in enumerate(files):
                name = safe_name(f.filename)
                data = f.file.read(max_upload + 1)
                if len(data) > max_upload:
                    raise HTTPException(413, f"{name}: upload too large: over {max_upload // 2**20} MiB")
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

    def answer(model: str, x: Any, fmt: str, item: int | None, extra: list[dict[str, Any]] | None = None) -> Response:
        """Items ``x`` as JSON (each item's values, what the modality says of it, and ``extra``) or as
        the modality's file in format ``fmt`` (one item with ``item``, else all in one file)."""
        p = models[model].pipeline
        if fmt == "json":
            described = p.modality.describe(x, p.config)
            return JSONResponse({"model": model, "modality": p.modality.name, "items": [
                {"index": i, "values": x[i].tolist(), **described[i], **(extra[i] if extra else {})}
                for i in range(len(x))]})
        suffix = f".{fmt.lower()}"
        if suffix not in (p.modality.output_suffix, *p.modality.file_types):
            raise HTTPException(400, f"format {fmt!r}: the {p.modality.name} modality writes json or "
                                     f"{p.modality.output_suffix.lstrip('.')}")
        if item is not None and not 0 <= item < len(x):
            raise HTTPException(400, f"item {item} is out of range (0..{len(x) - 1})")
        tmp = Path(tempfile.mkdtemp(prefix="vaekit-serve-"))
        out = tmp / f"{model}{'' if item is None else f'_{item:02d}'}{suffix}"
        try:
            with models[model].lock:
                if item is not None:
                    p.modality.write(x[item], out, p.config)
                    written = [out]
                else:
                    written = p.modality.write_interpolation(x, out, p.config)
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

    # models -------------------------------------------------------------------------------------

    @app.get("/api/models")
    def list_models() -> list[dict[str, Any]]:
        """Every model served: name, modality, preset, card, attribute vectors, page."""
        rows = []
        for name, m in models.items():
            config = m.config()
            modality = plugins.modalities().get(config["modality"])
            vectors = modality.attribute_vectors(m.path, config) if modality else {}
            rows.append({"name": name, "modality": config["modality"], "preset": config.get("preset"),
                         "card": m.card, "shipped": m.card is not None, "attributes": sorted(vectors),
                         "latent_dim": config.get("model", {}).get("latent_dim"),
                         "file_types": list(modality.file_types) if modality else [],
                         "datasets": sorted(modality.datasets()) if modality else [],
                         "page": f"/web/{config['modality']}/" if config["modality"] in pages else None})
        return rows

    @app.get("/api/models/{name}")
    def model_info(name: str) -> dict[str, Any]:
        """A model's config, card and held-out figures (the last validation row of its metrics)."""
        m = served(name)
        rows = runs.RunDir(m.path).read_metrics()
        figures = [r for r in rows if r.get("split") == "val"]
        return {"name": name, "config": m.config(), "card": m.card, "last_validation": figures[-1] if figures else None,
                "steps": rows[-1].get("step") if rows else None}

    @app.get("/api/models/{name}/metrics")
    def metrics(name: str, since: int = ranged(Query, "since", 0)) -> list[dict[str, Any]]:
        """The rows of ``metrics.jsonl`` from row ``since`` on (the runs page polls this while a run trains)."""
        return runs.RunDir(served(name).path).read_metrics()[since:]

    @app.get("/api/models/{name}/plane")
    def plane(name: str) -> dict[str, Any]:
        """A 2-D plane of the latent space for the latent map: for a 2-D model the latent itself; else
        the plane of the two main directions of the validation items' posterior means, through their mean.
        ``extent`` is three standard deviations along each axis."""
        import torch

        def compute(p: Any) -> dict[str, Any]:
            if "plane" not in served(name).cache:
                d = p.model.latent_dim
                if d == 2:
                    result = {"origin": [0.0, 0.0], "axes": [[1.0, 0.0], [0.0, 1.0]], "extent": [3.0, 3.0]}
                else:
                    z = torch.from_numpy(p.encode(data=p.config["data"]["source"])["z"]).double()
                    mean = z.mean(0)
                    _, s, v = torch.linalg.svd(z - mean, full_matrices=False)
                    std = s[:2] / max(1, len(z) - 1) ** 0.5
                    result = {"origin": mean.tolist(), "axes": v[:2].tolist(), "extent": (3 * std).tolist()}
                served(name).cache["plane"] = result
            return served(name).cache["plane"]

        return {"model": name, **call(name, compute)}

    @app.get("/api/example")
    def example(model: str, dataset: str, index: int = ranged(Query, "index", 0)) -> FileResponse:
        """Item ``index`` of a built-in dataset of the model's modality as an ordinary file (what
        ``vaekit datasets export`` writes), to try the verbs without files of one's own."""
        import copy

        def export(p: Any) -> list[Path]:
            if dataset not in p.modality.datasets():
                raise HTTPException(404, f"{dataset!r}: the {p.modality.name} modality has the datasets "
                                         f"{', '.join(sorted(p.modality.datasets()))}")
            key = f"example:{dataset}"
            if key not in served(model).cache:
                folder = Path(tempfile.mkdtemp(prefix="vaekit-serve-"))
                served(model).cache[key] = p.modality.export_dataset(dataset, 8, folder, copy.deepcopy(p.config))
            return served(model).cache[key]

        files = call(model, export)
        if index >= len(files):
            raise HTTPException(404, f"{dataset} has {len(files)} examples")
        return FileResponse(files[index], filename=files[index].name)

    # verbs --------------------------------------------------------------------------------------

    @app.post("/api/generate")
    def generate(model: str = Form(...), count: int = ranged(Form, "count", 8),
                 temperature: float = ranged(Form, "temperature", 1.0), seed: int = ranged(Form, "seed", 0),
                 spread: float | None = ranged(Form, "spread", None), format: str = Query("json"),
                 item: int | None = ranged(Query, "item", None)) -> Response:
        """``count`` samples from the prior at ``temperature``; the same seed gives the same samples;
        ``spread``: how far from the prior's centres (the model's own ``generate.spread`` when not given)."""
        x = call(model, lambda p: p.generate(count, temperature, spread=spread, generator=seeded(seed)))
        return answer(model, x, format, item)

    @app.post("/api/interpolate")
    def interpolate(model: str = Form(...), a: UploadFile = File(...), b: UploadFile = File(...),
                    steps: int = ranged(Form, "steps", 8), method: str = Form("slerp"),
                    index_a: int = ranged(Form, "index_a", 0), index_b: int = ranged(Form, "index_b", 0),
                    format: str = Query("json"), item: int | None = ranged(Query, "item", None)) -> Response:
        """Decoded steps from upload ``a`` to upload ``b``, endpoints included."""
        with uploaded(a, b) as (pa, pb):
            x = call(model, lambda p: p.interpolate(pa, pb, steps, method, index_a, index_b))
        return answer(model, x, format, item)

    @app.post("/api/reconstruct")
    def reconstruct(model: str = Form(...), files: list[UploadFile] = File(...), index: int = ranged(Form, "index", 0),
                    format: str = Query("json"), item: int | None = ranged(Query, "item", None)) -> Response:
        """Reconstructions of the uploads (decoded from their posterior means), each with its input."""
        count_ok(len(files), "the number of files")
        with uploaded(*files) as paths:
            inputs, outputs = call(model, lambda p: p.reconstruct(paths, index))
        return answer(model, outputs, format, item, [{"input": x.tolist()} for x in inputs])

    @app.post("/api/encode")
    def encode(model: str = Form(...), files: list[UploadFile] = File(...),
               index: int = ranged(Form, "index", 0)) -> dict[str, Any]:
        """Posterior means ``z`` and log-variances of the uploads."""
        count_ok(len(files), "the number of files")
        with uploaded(*files) as paths:
            result = call(model, lambda p: p.encode(paths, index=index))
        return {"model": model, "names": [f.filename for f in files], "z": result["z"].tolist(),
                "logvar": result["logvar"].tolist()}

    @app.post("/api/decode")
    def decode(request: DecodeRequest, format: str = Query("json"),
               item: int | None = ranged(Query, "item", None)) -> Response:
        """Outputs for latents ``z`` (temperature 0: greedy, or the mean)."""
        if len({len(row) for row in request.z}) > 1:
            raise HTTPException(400, "z must be rows of equal length")
        x = call(request.model, lambda p: p.decode(request.z, request.temperature, generator=seeded(request.seed)))
        return answer(request.model, x, format, item)

    @app.post("/api/transform")
    def transform(model: str = Form(...), a: UploadFile = File(...), attribute: str = Form(...),
                  amount: float = ranged(Form, "amount", 1.0), index: int = ranged(Form, "index", 0),
                  temperature: float = ranged(Form, "temperature", 0.0), seed: int = ranged(Form, "seed", 0),
                  format: str = Query("json"), item: int | None = ranged(Query, "item", None)) -> Response:
        """Move an upload along one of the model's attribute vectors: items are the reconstruction
        (z) and the transformed output (z + amount * vector)."""
        with uploaded(a) as (pa,):
            x = call(model, lambda p: p.transform(pa, attribute, amount, index, temperature, generator=seeded(seed)))
        return answer(model, x, format, item, [{"label": "reconstruction"}, {"label": f"{attribute} {amount:+g}"}])

    # pages --------------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def shell() -> FileResponse:  # async: the page answers while every worker thread is busy
        return FileResponse(STATIC / "index.html")

    add_item_routes(app, models, max_upload)  # POST /api/items: the windows of a song, for the bar picker
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for modality, folder in pages.items():
        app.mount(f"/web/{modality}", StaticFiles(directory=folder, html=True), name=f"web-{modality}")
    return app
