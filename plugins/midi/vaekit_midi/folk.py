"""The built-in ``folk`` dataset: the folk collections music21 ships as ABC, one item per tune.

On the 16th-note grid the tunes' tokens ship inside the plugin (``data/folk.npz``, made by
``benchmarks/shipping/folk_tokens.py`` from this module's parser; the sources' terms in ``data/FOLK-LICENSE``),
so loading them parses nothing; another grid parses the ABC once and caches the result."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from vaekit import VaekitError
from vaekit_midi.corpus import Corpus, build
from vaekit_midi.parsed import Parsed

COLLECTIONS = ["essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs", "miscFolk"]
DESCRIPTION = (
    "about 12,900 folk tunes bundled with music21 as ABC (Essen, O'Neill's 1850, Ryan's Mammoth, "
    "Aird's Airs, misc.); Essen is for non-commercial use"
)
FILE = Path(__file__).parent / "data" / "folk.npz"
SHIPPED_STEPS_PER_BAR = 16


def tunes(collections: list[str], limit: int = 0) -> tuple[list[str], list[str]]:
    """Names and ABC texts (file header + tune) of the tunes, in order, the first ``limit`` if > 0."""
    import music21

    root = Path(music21.__file__).parent / "corpus"
    names, texts = [], []
    for collection in collections:
        folder = root / collection
        if collection not in COLLECTIONS or not folder.is_dir():
            raise _unknown(collection)
        for path in sorted(folder.glob("*.abc")):
            header, *bodies = re.split(r"(?m)^(?=X:)", path.read_text(encoding="utf-8", errors="replace"))
            for number, body in enumerate(bodies, 1):
                if limit and len(names) >= limit:
                    return names, texts
                names.append(f"{collection}/{path.name}#{number}")
                texts.append(header + body)
    return names, texts


def parse_tune(task: tuple[str, int]) -> Parsed:
    """One ABC tune (worker function: module level so that process pools can call it)."""
    from vaekit_midi.scores import parse_abc

    text, steps_per_bar = task
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return parse_abc(text, steps_per_bar)


def load_folk(collections: list[str], limit: int = 0, steps_per_bar: int = 16) -> Corpus:
    """The tunes of ``collections`` (in that order; the first ``limit`` if > 0): shipped on the 16th
    grid, else parsed once and then read from the cache."""
    if steps_per_bar != SHIPPED_STEPS_PER_BAR:
        return parse_folk(collections, limit, steps_per_bar)
    for collection in collections:
        if collection not in COLLECTIONS:
            raise _unknown(collection)
    corpus = Corpus.load(FILE)
    if list(collections) != COLLECTIONS:
        collection = np.array([name.split("/", 1)[0] for name in corpus.names.tolist()])
        corpus = corpus.select(np.concatenate([np.zeros(0, np.int64), *(np.flatnonzero(collection == c)
                                                                         for c in collections)]))
    return corpus.first(limit)


def parse_folk(collections: list[str], limit: int = 0, steps_per_bar: int = 16) -> Corpus:
    """The tunes parsed from music21's ABC with a process pool, once, then read from the cache."""
    identity = {"collections": list(collections), "limit": int(limit), "steps_per_bar": int(steps_per_bar)}

    def tasks() -> tuple[list[str], list[tuple[str, int]]]:
        names, texts = tunes(list(collections), limit)
        return names, [(text, steps_per_bar) for text in texts]

    return build("folk", identity, tasks, parse_tune, "folk tunes", np.zeros(0, np.int8))


def _unknown(collection: str) -> VaekitError:
    return VaekitError(f"folk: unknown collection {collection!r}; choose from {', '.join(COLLECTIONS)}")
