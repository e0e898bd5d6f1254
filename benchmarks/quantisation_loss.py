"""How much of the outside corpora the 16th-note grid rewrites (issue 27): per corpus, the share of
files warned about and of notes moved or lost, the likely causes, and the files that hold triplets.

MIDI files (POP909 and the Groove MIDI files in ../shared/data) are read two ways: as ``--data FOLDER``
reads them (every melody track, plain rounding: what ``evaluate --data`` reports beside its scores) and
as the single-file verbs read them (``reading.py``: the chosen melody, swing straightened, grace notes
dropped). Drum tracks (the Groove MIDI Dataset) hold no melody; their hits are measured by the same rule
as a third figure. Scores (music21's folk tunes, and its Bach chorales, ``corpus.getComposer('bach')``)
have exact note values: a note is moved where its onset or length is off the grid at all, and the
reader leaves out every bar that holds an onset off it (``quantisation.measure_score``); every part is
read as a melody, and of the chorales the soprano alone too.

    python benchmarks/quantisation_loss.py                # every corpus
    python benchmarks/quantisation_loss.py --limit 50     # the first 50 files (tunes) of each
    python benchmarks/quantisation_loss.py --corpora folk bach   # these; the others' results kept from the file
    python benchmarks/quantisation_loss.py --evaluate mel_2bar   # and evaluate's scores beside the loss

With ``--evaluate NAME``, the model is scored (``evaluate --data``, k=0) on the POP909 songs that hold
triplets and on as many songs of no warning, and on the chorales' sopranos (written out as MusicXML)
that the grid moves and those it moves nothing of, each group with its quantisation loss beside the
scores. POP909's songs 001-800 are the shipped melody models' training songs: those figures compare the
two groups, they are no held-out score; the chorales are in no shipped model's data.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from vaekit_midi.corpus import parallel_map
from vaekit_midi.folder_quantisation import quantisation_of
from vaekit_midi.folk import COLLECTIONS, tunes
from vaekit_midi.midi_file import grid_of, read_midi
from vaekit_midi.quantisation import QuantisationReport, measure, merged
from vaekit_midi.reading import read_user_midi
from vaekit_midi.scores import parse_abc, parse_stream

from vaekit import VaekitError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPORA = {"pop909": "pop909/*/*.mid", "groove": "groove/**/*.mid"}
SCORE_CORPORA = ("folk", "bach")
MIDI_READINGS = ("as --data reads them", "as the single-file verbs read them", "drum hits")
SCORE_READINGS = ("every part, as every verb reads them", "the soprano (the melody)")
#: A file "holds triplets" where this share of its notes start on a triplet position off the 16th grid.
TRIPLET_SHARE = 0.02
MACHINE = ("AMD EPYC, 2 cores, AVX-512 + AVX512-BF16, no AMX, shared with other jobs (load average about 4 while "
           "folk and Bach ran)")


def drum_report(path: Path) -> QuantisationReport | None:
    pm, reason = read_midi(path)
    kit = [i for i in (pm.instruments if pm else []) if i.is_drum and i.notes]
    if not kit:
        return None
    grid = grid_of(pm, path)
    hits = [n for i in kit for n in i.notes]
    onsets = np.array([grid.position(n.start) for n in hits])
    return measure(onsets, onsets + 1, 4.0)  # hits have no length: only onsets count


def one_file(path: str) -> dict:
    out: dict = {"file": path}
    out["data"] = quantisation_of(Path(path))
    try:
        out["single"] = read_user_midi(Path(path)).report
    except VaekitError as e:
        out["single"], out["error"] = None, str(e).split(": ", 1)[-1]
    out["drums"] = drum_report(Path(path))
    return out


def folk_tune(text: str) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"every": parse_abc(text).report}


def chorales(limit: int = 0) -> list[str]:
    """The Bach chorales of music21's corpus as scores (its roman-numeral analyses left out)."""
    from music21 import corpus

    paths = [p for p in corpus.getComposer("bach") if p.suffix in (".mxl", ".xml", ".krn")]
    return [str(p) for p in paths[: limit or None]]


def soprano(score):
    """The part named soprano, else the first."""
    parts = list(score.parts)
    named = [p for p in parts if "soprano" in f"{p.id} {p.partName}".lower()]
    return (named or parts)[0] if parts else None


def chorale(path: str) -> dict:
    from music21 import converter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = converter.parse(path, forceSource=True, storePickle=False)
        top = soprano(score)
        return {"file": path, "every": parse_stream(score).report,
                "melody": parse_stream(top).report if top is not None else None}


def summary(reports: list[QuantisationReport | None]) -> dict:
    measured = [r for r in reports if r is not None and r.notes]
    if not measured:
        return {"files": 0}
    total = merged(measured)
    warned = [r for r in measured if r.warned]
    triplets = [r for r in measured if r.positions.get("triplet", 0) >= TRIPLET_SHARE * r.notes]
    return {"files": len(measured), "files_warned": len(warned),
            "share_files_warned": round(len(warned) / len(measured), 4),
            "notes": total.notes, "notes_moved": total.moved, "share_notes_moved": round(total.share_moved, 4),
            "onsets_moved": total.onsets_moved, "lengths_moved": total.lengths_moved, "lost": total.lost,
            "causes_of_warned_files": dict(Counter(r.cause for r in warned).most_common()),
            "files_with_triplets": len(triplets), "share_files_with_triplets": round(len(triplets) / len(measured), 4),
            "notes_on_triplet_positions": total.positions.get("triplet", 0),
            "swing_straightened": sum(r.swing is not None for r in measured), "bars_left_out": total.bars_cut,
            "score": total.score}


def scores_beside_loss(model: str, groups: dict[str, list[Path]], fill) -> dict:
    """``evaluate --data`` of ``model`` (k=0) on a folder a group, filled by ``fill(files, folder)``, with
    the folder's quantisation report beside the scores."""
    import vaekit

    p = vaekit.load(model)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, files in [(name, files) for name, files in groups.items() if files]:
            folder = Path(tmp) / name
            fill(files, folder)
            scores = p.evaluate(str(folder), k=0)
            report = p.handler.reading_report(str(folder), p.config)
            rounded = {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}
            out[name] = {"songs": len(files), **rounded, "reading": report.to_dict()}
    return out


def copied_songs(files: list[Path], folder: Path) -> None:
    """Each song's folder copied (links out of a folder are not followed), its beat annotation with it."""
    for f in files:
        shutil.copytree(f.parent, folder / f.parent.name)


def written_sopranos(files: list[Path], folder: Path) -> None:
    from music21 import converter

    folder.mkdir(parents=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in files:
            top = soprano(converter.parse(f, forceSource=True, storePickle=False))
            top.write("musicxml", fp=folder / f"{Path(f).name.split('.mxl')[0].split('.krn')[0]}.musicxml")


def midi_corpus(name: str, pattern: str, args) -> dict:
    files = sorted(args.data.glob(pattern))[: args.limit or None]
    rows = parallel_map(one_file, [str(f) for f in files], f"{name} files")
    triplet_files = sorted(Path(r["file"]).name for r in rows if has_triplets(r["data"]))
    out = {"files": len(files), "as --data reads them": summary([r["data"] for r in rows]),
           "as the single-file verbs read them": summary([r["single"] for r in rows]),
           "drum hits": summary([r["drums"] for r in rows]),
           "unread by the single-file verbs": dict(Counter(r["error"] for r in rows if "error" in r).most_common()),
           "files with triplets (first 20)": triplet_files[:20]}
    if name == "pop909" and args.evaluate:
        with_triplets = [Path(r["file"]) for r in rows if has_triplets(r["data"])]
        clean = [Path(r["file"]) for r in rows if r["data"] is not None and r["data"].notes and not r["data"].moved]
        out[f"{args.evaluate} scores"] = scores_beside_loss(
            args.evaluate, {"with triplets": with_triplets, "moved by nothing": clean[: len(with_triplets)]},
            copied_songs)
    return out


def score_corpus(name: str, args) -> dict:
    if name == "folk":
        rows = parallel_map(folk_tune, tunes(COLLECTIONS, args.limit)[1], "folk tunes")
    else:
        rows = parallel_map(chorale, chorales(args.limit), "bach chorales")
    out = {"files": len(rows), SCORE_READINGS[0]: summary([r["every"] for r in rows])}
    if name == "bach":
        out[SCORE_READINGS[1]] = summary([r["melody"] for r in rows])
        if args.evaluate:
            measured = [r for r in rows if r["melody"] is not None and r["melody"].notes]
            out[f"{args.evaluate} scores"] = scores_beside_loss(
                args.evaluate, {"sopranos moved": [r["file"] for r in measured if r["melody"].moved],
                                "moved by nothing": [r["file"] for r in measured if not r["melody"].moved]},
                written_sopranos)
    return out


def has_triplets(report: QuantisationReport | None) -> bool:
    return bool(report) and report.notes > 0 and report.positions.get("triplet", 0) >= TRIPLET_SHARE * report.notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--corpora", nargs="+", choices=[*CORPORA, *SCORE_CORPORA], default=[*CORPORA, *SCORE_CORPORA],
                        help="Measure these; the others' results are kept from the results file.")
    parser.add_argument("--evaluate", metavar="MODEL", help="Also score this model on POP909's songs with and "
                        "without triplets, and on the chorales' sopranos moved and not moved.")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "quantisation_loss")
    args = parser.parse_args()
    old = args.out.with_suffix(".json")
    results: dict = json.loads(old.read_text()) if old.exists() else {}
    results.update({"data": str(args.data), "triplet_share": TRIPLET_SHARE, "machine": MACHINE})
    results.setdefault("corpora", {})
    results.setdefault("seconds", {})
    if not isinstance(results["seconds"], dict):  # results of one run of every MIDI corpus
        results["seconds"] = {" + ".join(CORPORA): results["seconds"]}
    for name in args.corpora:
        started = time.perf_counter()
        results["corpora"][name] = midi_corpus(name, CORPORA[name], args) if name in CORPORA else \
            score_corpus(name, args)
        results["seconds"][name] = round(time.perf_counter() - started, 1)
    results["corpora"] = {name: results["corpora"][name] for name in [*CORPORA, *SCORE_CORPORA]
                          if name in results["corpora"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))


def markdown(results: dict) -> str:
    seconds = ", ".join(f"{name} {value:g} s" for name, value in results["seconds"].items())
    lines = [f"Measured on {results.get('machine', MACHINE)}; {seconds}.", "",
             "| corpus | reading | files | warned (>= 5% moved) | notes moved or lost | bars left out | "
             "files with triplets | causes of the warned files |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, corpus in results["corpora"].items():
        for how in [h for h in (*MIDI_READINGS, *SCORE_READINGS) if h in corpus]:
            s = corpus[how]
            if not s.get("files"):
                lines.append(f"| {name} | {how} | 0 | - | - | - | - | - |")
                continue
            causes = ", ".join(f"{c} {n}" for c, n in s["causes_of_warned_files"].items())
            bars = f"{s['bars_left_out']:,}" if s.get("score") else "-"
            lines.append(f"| {name} | {how} | {s['files']} | {s['files_warned']} ({s['share_files_warned']:.1%}) | "
                         f"{s['notes_moved']:,} of {s['notes']:,} ({s['share_notes_moved']:.1%}) | {bars} | "
                         f"{s['files_with_triplets']} ({s['share_files_with_triplets']:.1%}) | {causes} |")
    for name, corpus in results["corpora"].items():
        for model in [k for k in corpus if k.endswith(" scores")]:
            lines += ["", f"{name}, {model} (evaluate --data, k=0) beside the quantisation loss:", "",
                      "| files | windows | acc_tf | acc_sampled | note_f1 | notes moved or lost |",
                      "| --- | --- | --- | --- | --- | --- |"]
            for group, v in corpus[model].items():
                lines.append(f"| {group} ({v['songs']}) | {v['items']} | {v['acc_tf']:.3f} | {v['acc_sampled']:.3f} | "
                             f"{v['note_f1']:.3f} | {v['reading']['share_moved']:.1%} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
