"""``POST /api/items``: every item that one upload holds (each window of a song), described as the verbs'
answers describe theirs, each with the ``index`` that a verb's ``index``, ``index_a`` or ``index_b``
takes. The melody page draws them as a bar picker over the whole song, so that the musician chooses
which bars an interpolation, a transform or the blender uses, and says which it used.

Kept apart from ``app.py`` as one small route: it reads through the modality's own ``read``, as
``Pipeline.read`` does, and runs on the model's thread in turn, as every other call does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, File, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse

from vaekit.errors import VaekitError
from vaekit.server.uploads import safe_name

#: At most this many items are described (a 10-minute song at 2-bar windows holds some 300).
MAX_SONG_ITEMS = 1024


def add_routes(app: FastAPI, models: dict[str, Any], max_upload: int) -> None:
    """Add ``POST /api/items`` to ``app``, over ``models`` (name -> ``Served``)."""

    @app.post("/api/items")
    async def items(model: str = Form(...), file: UploadFile = File(...)) -> JSONResponse:
        """Every item of the upload ``file`` as the model reads it (for a song: its windows, in order),
        each described with its ``index``; ``count`` is how many the file holds."""
        served = models.get(model)
        if served is None:
            raise HTTPException(404, f"{model!r} is no model; models are named: {', '.join(sorted(models)) or 'none'}")
        name = safe_name(file.filename)
        data = file.file.read(max_upload + 1)
        if len(data) > max_upload:
            raise HTTPException(413, f"{name}: upload too large: over {max_upload // 2**20} MiB")
        if not data:
            raise HTTPException(400, f"{name}: empty file")
        with tempfile.TemporaryDirectory(prefix="vaekit-serve-") as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            def read(p: Any) -> tuple[Any, Any, Any, list[dict[str, Any]]]:
                x = p.read_items(path)
                return p, x, x[:MAX_SONG_ITEMS], p.modality.describe(x[:MAX_SONG_ITEMS], p.config)

            try:
                p, x, shown, described = await served.run(read)  # on the model's thread, in turn
            except VaekitError as e:  # name the upload, not where it was kept
                raise VaekitError(str(e).replace(f"{tmp}/", "")) from None
        return JSONResponse({"model": model, "modality": p.modality.name, "name": name, "count": len(x),
                             "items": [{"index": i, "values": shown[i].tolist(), **described[i]}
                                       for i in range(len(shown))]})
