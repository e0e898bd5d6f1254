"""vaekit serve's API under a property-based fuzzer: random values (huge integers, NaN, infinity,
negative and huge floats, wrong types, missing fields) in every field of every route never give 500."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

pytest.importorskip("fastapi")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .test_server import WAVE_A, WAVE_B, client, runs_folder  # noqa: E402, F401

MISSING = object()
NASTY = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e30", "3e38", "-0", "-1", "1.5", str(2**63),
         str(2**64), str(-(2**63) - 1), "9" * 40, "", " ", "x", "0x10", "1_000", "true", "null"]

huge = st.one_of(st.integers(2**63 - 2, 2**80), st.integers(-(2**80), -1), st.floats(1e3, 1e308)).map(str)
nasty = st.one_of(
    st.sampled_from(NASTY),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=8),
)
#: Values that pass each field's checks, so that a nasty value in one field reaches the code behind them.
VALID = {
    "count": st.integers(1, 64), "steps": st.integers(2, 64), "seed": st.integers(0, 2**63 - 1),
    "index": st.integers(0, 2), "index_a": st.integers(0, 2), "index_b": st.integers(0, 2),
    "temperature": st.floats(0, 10), "spread": st.floats(0, 10), "amount": st.floats(-10, 10),
    "method": st.sampled_from(["slerp", "lerp"]), "attribute": st.sampled_from(["density", ""]),
}
models = st.one_of(st.just("waves"), st.just("waves"), st.just("waves"),
                   st.sampled_from(["", "nope", "../waves", "/etc", "waves\x00"]), st.text(max_size=8))
uploads = st.one_of(st.just(WAVE_A), st.just(WAVE_B), st.just(WAVE_A),
                    st.sampled_from([b"", b"1,2,3", b"nan," * 31 + b"nan", b"1e308," * 31 + b"1e308"]),
                    st.binary(max_size=200))
names = st.one_of(st.just("a.csv"), st.just("b.csv"), st.sampled_from(["", "..", "a.mid", "a" * 300 + ".csv"]),
                  st.text(max_size=20))
queries = st.fixed_dictionaries({}, optional={"format": st.sampled_from(["json", "csv", "png", "", "x" * 20]),
                                              "item": st.one_of(st.integers(0, 8).map(str), nasty)})


def value(name: str) -> st.SearchStrategy[Any]:
    """Mostly a valid value of field ``name``, else a nasty one, or none."""
    valid = VALID[name].map(str)
    return st.one_of(valid, valid, st.just(MISSING), st.sampled_from(NASTY), huge, nasty)


def form(draw: st.DrawFn, names: list[str]) -> dict[str, str]:
    """A form with a value (or none) in each field of ``names``, and mostly a model name."""
    data = {name: v for name in names if (v := draw(value(name))) is not MISSING}
    if draw(st.integers(0, 9)):
        data["model"] = draw(models)
    return data


@st.composite
def generate(draw: st.DrawFn) -> dict[str, Any]:
    return {"method": "POST", "url": "/api/generate", "params": draw(queries),
            "data": form(draw, ["count", "temperature", "seed", "spread"])}


@st.composite
def interpolate(draw: st.DrawFn) -> dict[str, Any]:
    return {"method": "POST", "url": "/api/interpolate", "params": draw(queries),
            "data": form(draw, ["steps", "method", "index_a", "index_b"]),
            "files": {"a": (draw(names), draw(uploads)), "b": (draw(names), draw(uploads))}}


@st.composite
def reconstruct_or_encode(draw: st.DrawFn) -> dict[str, Any]:
    files = [("files", (draw(names), draw(uploads))) for _ in range(draw(st.integers(0, 3)))]
    return {"method": "POST", "url": draw(st.sampled_from(["/api/reconstruct", "/api/encode"])),
            "params": draw(queries), "data": form(draw, ["index"]), "files": files or None}


@st.composite
def transform(draw: st.DrawFn) -> dict[str, Any]:
    return {"method": "POST", "url": "/api/transform", "params": draw(queries),
            "data": form(draw, ["attribute", "amount", "index", "temperature", "seed"]),
            "files": {"a": (draw(names), draw(uploads))}}


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    return {"method": "POST", "url": "/api/items", "data": form(draw, []),
            "files": {"file": (draw(names), draw(uploads))}}


@st.composite
def file_verbs(draw: st.DrawFn) -> dict[str, Any]:
    verb = urllib.parse.quote(draw(st.sampled_from(["groove", "drumify", ""]) | st.text(max_size=8)), safe="") or "x"
    return {"method": "POST", "url": f"/api/verbs/{verb}", "params": draw(queries),
            "data": form(draw, ["temperature", "seed"]), "files": {"file": (draw(names), draw(uploads))}}


json_numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**80), 2**80),
                         st.sampled_from([3e38, -3e38, 1e-320, 100.0, 100.5, 2**63, 2**64]), st.text(max_size=4),
                         st.none(), st.booleans())
codes = st.floats(-3, 3)
latents = st.one_of(st.lists(st.lists(codes, min_size=2, max_size=2), min_size=1, max_size=4),
                    st.lists(st.lists(st.floats(), min_size=2, max_size=2), min_size=1, max_size=2),
                    st.lists(st.lists(codes | json_numbers, max_size=4), max_size=4), json_numbers)


@st.composite
def decode(draw: st.DrawFn) -> dict[str, Any]:
    body = {"model": draw(models), "z": draw(latents)}
    for name in ("temperature", "seed"):
        if (v := draw(st.one_of(VALID[name], st.just(MISSING), json_numbers))) is not MISSING:
            body[name] = v
    if not draw(st.integers(0, 9)):
        del body[draw(st.sampled_from(sorted(body)))]
    text = draw(st.one_of(st.just(json.dumps(body)), st.just(json.dumps(body)), st.text(max_size=30)))
    return {"method": "POST", "url": "/api/decode", "params": draw(queries), "content": text.encode(),
            "headers": {"content-type": "application/json"}}


@st.composite
def reads(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(models)
    quoted = urllib.parse.quote(name, safe="") or "x"
    url = draw(st.sampled_from([f"/api/models/{quoted}", f"/api/models/{quoted}/metrics", f"/api/models/{quoted}/plane",
                                "/api/example", "/api/models", "/"]))
    params = {"since": draw(VALID["index"].map(str) | nasty)} if url.endswith("metrics") else {}
    if url == "/api/example":
        params = {"model": name, "dataset": draw(st.sampled_from(["waves", "nope", ""])),
                  "index": draw(VALID["index"].map(str) | nasty)}
    return {"method": "GET", "url": url, "params": params}


@pytest.mark.parametrize("requests", [generate(), interpolate(), reconstruct_or_encode(), transform(), decode(),
                                      items(), file_verbs(), reads()],
                         ids=["generate", "interpolate", "reconstruct", "transform", "decode", "items", "verbs",
                              "reads"])
def test_no_request_gets_500(client, requests):  # noqa: F811
    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(requests)
    def check(request: dict[str, Any]) -> None:
        response = client.request(**request)
        assert response.status_code < 500, (request, response.text)
        if response.status_code >= 400 and response.headers.get("content-type") == "application/json":
            detail = response.json()["detail"]
            assert isinstance(detail, str) and "\n" not in detail

    check()
