"""How much of the outside MIDI corpora the 16th-note grid rewrites (issue 27): per corpus, the share of
files warned about and of notes moved or lost, the likely causes, and the files that hold triplets.

Two readings of every file: as ``--data FOLDER`` reads it (every melody track, plain rounding: what
``evaluate --data`` reports beside its scores) and as the single-file verbs read it (``reading.py``: the
chosen melody, swing straightened, grace notes dropped). Drum tracks (the Groove MIDI Dataset) hold no
melody; their hits are measured by the same rule as a third figure.

    python benchmarks/quantisation_loss.py                # POP909 and the Groove MIDI files in ../shared/data
    python benchmarks/quantisation_loss.py --limit 50     # the first 50 files of each
    python benchmarks/quantisation_loss.py --evaluate mel_2bar   # and evaluate's scores beside the loss

With ``--evaluate NAME``, the model is scored (``evaluate --data``, k=0) on the POP909 songs that hold
triplets and on as many songs of no warning, each with its quantisation loss beside the scores. POP909's
songs 001-800 are the shipped melody models' training songs: the figures compare the two groups, they
are no held-out score.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from vaekit_midi.corpus import parallel_map
from vaekit_midi.folder_quantisation import quantisation_of
from vaekit_midi.midi_file import grid_of, read_midi
from vaekit_midi.quantisation import QuantisationReport, measure, merged
from vaekit_midi.reading import read_user_midi

from vaekit import VaekitError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CORPORA = {"pop909": "pop909/*/*.mid", "groove": "groove/**/*.mid"}
#: A file "holds triplets" where this share of its notes start on a triplet position off the 16th grid.
TRIPLET_SHARE = 0.02


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
            "swing_straightened": sum(r.swing is not None for r in measured)}


def scores_beside_loss(model: str, groups: dict[str, list[Path]]) -> dict:
    """``evaluate --data`` of ``model`` (k=0) on copies of each group's song folders, with the folder's
    quantisation report beside the scores (links out of a folder are not followed, so the songs are copied)."""
    import vaekit

    p = vaekit.load(model)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, files in groups.items():
            folder = Path(tmp) / name
            for f in files:
                shutil.copytree(f.parent, folder / f.parent.name)
            scores = p.evaluate(str(folder), k=0)
            report = p.modality.reading_report(str(folder), p.config)
            rounded = {k: round(v, 4) if isinstance(v, float) else v for k, v in scores.items()}
            out[name] = {"songs": len(files), **rounded, "reading": report.to_dict()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--evaluate", metavar="MODEL", help="Also score this model on POP909's songs with and "
                        "without triplets.")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "quantisation_loss")
    args = parser.parse_args()
    results: dict = {"data": str(args.data), "triplet_share": TRIPLET_SHARE, "corpora": {}}
    started = time.perf_counter()
    for name, pattern in CORPORA.items():
        files = sorted(args.data.glob(pattern))[: args.limit or None]
        rows = parallel_map(one_file, [str(f) for f in files], f"{name} files")
        triplet_files = sorted(Path(r["file"]).name for r in rows if r["data"] is not None and r["data"].notes
                               and r["data"].positions.get("triplet", 0) >= TRIPLET_SHARE * r["data"].notes)
        results["corpora"][name] = {
            "files": len(files), "as --data reads them": summary([r["data"] for r in rows]),
            "as the single-file verbs read them": summary([r["single"] for r in rows]),
            "drum hits": summary([r["drums"] for r in rows]),
            "unread by the single-file verbs": dict(Counter(r["error"] for r in rows if "error" in r).most_common()),
            "files with triplets (first 20)": triplet_files[:20]}
        if name == "pop909" and args.evaluate:
            with_triplets = [Path(r["file"]) for r in rows if r["data"] is not None and r["data"].notes and
                             r["data"].positions.get("triplet", 0) >= TRIPLET_SHARE * r["data"].notes]
            clean = [Path(r["file"]) for r in rows if r["data"] is not None and r["data"].notes and not r["data"].moved]
            results["corpora"][name][f"{args.evaluate} scores"] = scores_beside_loss(
                args.evaluate, {"with triplets": with_triplets, "moved by nothing": clean[: len(with_triplets)]})
    results["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))


def markdown(results: dict) -> str:
    lines = ["| corpus | reading | files | warned (>= 5% moved) | notes moved or lost | files with triplets | "
             "causes of the warned files |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, corpus in results["corpora"].items():
        for how in ("as --data reads them", "as the single-file verbs read them", "drum hits"):
            s = corpus[how]
            if not s.get("files"):
                lines.append(f"| {name} | {how} | 0 | - | - | - | - |")
                continue
            causes = ", ".join(f"{c} {n}" for c, n in s["causes_of_warned_files"].items())
            lines.append(f"| {name} | {how} | {s['files']} | {s['files_warned']} ({s['share_files_warned']:.1%}) | "
                         f"{s['notes_moved']:,} of {s['notes']:,} ({s['share_notes_moved']:.1%}) | "
                         f"{s['files_with_triplets']} ({s['share_files_with_triplets']:.1%}) | {causes} |")
    for name, corpus in results["corpora"].items():
        for model in [k for k in corpus if k.endswith(" scores")]:
            lines += ["", f"{name}, {model} (evaluate --data, k=0) beside the quantisation loss:", "",
                      "| songs | windows | acc_tf | acc_sampled | note_f1 | notes moved or lost |",
                      "| --- | --- | --- | --- | --- | --- |"]
            for group, v in corpus[model].items():
                lines.append(f"| {group} ({v['songs']}) | {v['items']} | {v['acc_tf']:.3f} | {v['acc_sampled']:.3f} | "
                             f"{v['note_f1']:.3f} | {v['reading']['share_moved']:.1%} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
