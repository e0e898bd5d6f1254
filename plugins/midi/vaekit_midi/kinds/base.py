"""What every MusicVAE data kind owns, as Magenta's data converters do: reading a file into segments,
which windows of them to keep, datasets, the model, its metrics, writing MIDI, audio and a picture. A kind
is the ``vaekit.Handler`` that the MIDI modality hands the core for a config of that kind.

A subclass supplies the kind's own parts, and this base turns them into the handler's verbs:
``parse(path, steps_per_bar) -> Parsed`` (one file's segments, or why none), ``no_window(path, parsed,
steps, steps_per_bar)`` (why a file with segments gave no window), ``build_model(config)``,
``own_metrics(x, tf, recon)`` (its own metrics of targets, teacher-forced predictions and greedy
reconstructions), ``tracks(config)`` (the ``(name, program, is_drum)`` of each track written),
``to_tracks(item)`` (each track's notes ``(N, 3)`` of onset, end, pitch) and ``render(x, path, config)``;
``keep``, ``predict``, ``corpus`` and the messages where the defaults do not fit.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vaekit import Config, Data, Handler, VaekitError
from vaekit_midi.parsed import REASONS, Parsed, describe

if TYPE_CHECKING:
    import torch

    from vaekit import VAE
    from vaekit_midi.corpus import Corpus


class Kind(Handler):
    #: ``data.kind`` in a preset: melody, drums, groove, trio, piano or chord_melody.
    name: str = ""
    output_suffix = ".mid"
    #: What ``read`` and ``--data`` folders accept.
    file_types: tuple[str, ...] = (".mid", ".midi")
    file_noun: str = "MIDI file"
    #: The tokens of no segment, in the kind's shape and dtype.
    empty: np.ndarray = np.zeros(0, np.int16)

    def keep(self, windows: np.ndarray, steps_per_bar: int = 16) -> np.ndarray:
        """Which windows ``(K, ..., T)`` to keep (may edit them in place); all by default."""
        return np.ones(len(windows), dtype=bool)

    def predict(self, logits: torch.Tensor) -> torch.Tensor:
        """The most likely token of each step."""
        return logits.argmax(-1)

    def corpus(self, source: str, config: Config) -> Corpus:
        """The parsed corpus of ``source``: a user's files (a built-in name where the kind has one)."""
        from vaekit_midi.user_files import load_files

        data = config["data"]
        if not Path(source).exists():
            raise VaekitError(self.no_dataset(source))
        return load_files(Path(source), self, int(data.get("limit_tunes", 0) or 0), int(data.get("steps_per_bar", 16)))

    def no_dataset(self, source: str) -> str:
        return f"{source}: no such file or folder"

    def builtin(self, source: str) -> bool:
        """Whether ``source`` names the kind's built-in data rather than a user's files."""
        return False

    def held_out(self, source: str, corpus: Corpus, has_windows: np.ndarray, val_fraction: float) -> np.ndarray:
        """Which items of ``corpus`` are validation items: by a hash of each name unless its data says."""
        from vaekit_midi.dataset import split_items

        return split_items(corpus.names, has_windows, val_fraction)

    # the verbs, built on those parts -----------------------------------------------------------

    def wrong_type(self, path: Path) -> str:
        return f"{path}: not a {self.file_noun} (expected one of {', '.join(self.file_types)})"

    def read(self, path: Path, config: Config) -> torch.Tensor:
        """Every window ``(K, ..., T)`` of one file, in order, or a VaekitError naming the file and the reason."""
        path = Path(path)
        if path.suffix.lower() not in self.file_types:
            raise VaekitError(self.wrong_type(path))
        parsed = self.parse(path, int(config.get("data", {}).get("steps_per_bar", 16)))
        if parsed.reason:
            raise VaekitError(f"{path}: {REASONS[parsed.reason]}")
        return self.windows_of(path, parsed, config)

    def windows_of(self, path: Path, parsed: Parsed, config: Config) -> torch.Tensor:
        """The distinct windows ``(K, ..., T)`` of one file's segments, in order."""
        import torch

        from vaekit_midi.corpus import Corpus

        data = config.get("data", {})
        steps, spb = int(data.get("steps", 32)), int(data.get("steps_per_bar", 16))
        one = Corpus.from_parsed([str(path)], [parsed], self.empty)
        found, _, _ = one.windows(steps, int(data.get("hop_bars", 1)), lambda w: self.keep(w, spb))
        if len(found) == 0:
            raise VaekitError(self.no_window(path, parsed, steps, spb))
        _, first = np.unique(found.reshape(len(found), -1), axis=0, return_index=True)
        return torch.from_numpy(found[np.sort(first)].astype(np.int64))

    def load_dataset(self, source: str, config: Config):
        """Train and validation windows of ``data.steps`` steps, split by item, deduplicated."""
        from vaekit_midi.dataset import shuffled, unique_rows

        data = config["data"]
        steps, spb = int(data.get("steps", 32)), int(data.get("steps_per_bar", 16))
        corpus = self.corpus(source, config)
        w, owner, skipped = corpus.windows(steps, int(data.get("hop_bars", 1)), lambda w: self.keep(w, spb))
        label = source or "folk"
        items = "tunes" if self.builtin(source) else "files"
        if skipped and items == "files":
            print(f"vaekit: {label}: {self.skipped_line(sum(skipped.values()), len(corpus.names))}: "
                  f"{describe(skipped)}", file=sys.stderr)
        if len(w) == 0:
            raise VaekitError(f"{label}: no {steps}-step {self.name} window in {len(corpus.names)} {items} "
                              f"({describe(skipped)})")
        in_val = self.in_validation(source, corpus, owner, float(data.get("val_fraction", 0.1)))
        train = self.dataset(shuffled(unique_rows(w[~in_val])), int(data.get("transpose", 0)))
        return Data(train, self.dataset(shuffled(unique_rows(w[in_val]))))

    def dataset(self, windows: np.ndarray, transpose: int = 0):
        """A dataset of windows ``(N, ..., T)``, each transposed by a random -transpose..+transpose
        semitones when drawn (melodies)."""
        from vaekit_midi.dataset import WindowDataset

        return WindowDataset(windows, transpose)

    def in_validation(self, source: str, corpus, owner: np.ndarray, val_fraction: float) -> np.ndarray:
        """Whether each window (of item ``owner``) falls in the validation split, which is by item."""
        has_windows = np.zeros(len(corpus.names), dtype=bool)
        has_windows[owner] = True
        return self.held_out(source, corpus, has_windows, val_fraction)[owner]

    def skipped_line(self, skipped: int, total: int) -> str:
        return f"{skipped} of {total} files gave no {self.name} window"

    def metrics(self, model: VAE, batch: tuple[torch.Tensor, ...]) -> dict[str, float]:
        """With z = mu: teacher-forced and greedy-sampled step accuracy, and the kind's own metrics."""
        import torch

        x_in, x = (t.to(model.device) for t in batch[:2])
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad(), self.decoding(model, x):
                mu, _ = model.encoder(x_in)
                tf = self.predict(model.decoder(mu, x))
                recon = self.scored(model.decoder.sample(mu, 0.0))
        finally:
            model.train(was_training)
        x = self.scored(x)
        own = self.own_metrics(x, tf, recon)
        values = torch.stack([(tf == x).float().mean(), (recon == x).float().mean(), *own.values()]).tolist()
        return dict(zip(["acc_tf", "acc_sampled", *own], values))

    def decoding(self, model: VAE, x: torch.Tensor) -> AbstractContextManager:
        """The context in which ``metrics`` decodes the codes of items ``x`` (a chord model: over their
        chords); none by default."""
        return nullcontext()

    def scored(self, items: torch.Tensor) -> torch.Tensor:
        """What ``metrics`` compares of items and of their reconstructions (a chord model: the melody
        row); all of them by default."""
        return items

    def conditioned(self, model: VAE, config: Config, inputs: torch.Tensor | None = None, count: int = 1,
                    seed: int = 0) -> AbstractContextManager:
        """The context in which a verb decodes ``count`` outputs (see ``vaekit.capabilities.Conditions``); none but
        a refusal of ``--chords`` (``data.chords``), which only a chord model takes, and of ``--form``
        (``generate.form``), which only a long melody model takes."""
        if config.get("data", {}).get("chords") is not None:
            raise VaekitError(f"--chords: a {self.name} model is not conditioned on chords (a *_chords model is, "
                              "e.g. mel_2bar_chords)")
        if config.get("generate", {}).get("form"):
            raise VaekitError(f"--form: a {self.name} model does not sample in a form (a 16-bar melody model does, "
                              "e.g. mel_16bar)")
        return nullcontext()

    def write(self, x: Any, path: Path, config: Config) -> None:
        """One item, or several ``(S, ...)`` played in order a bar apart, as a MIDI file: in the tempo,
        meter and key of the file they came from where one was read (``music_memo``), else in 4/4 at
        ``data.tempo``."""
        from vaekit_midi.midi_file import to_pretty_midi
        from vaekit_midi.music_memo import recall

        data = config.get("data", {})
        items = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)
        if items.ndim == self.empty.ndim:
            items = items[None]
        music = recall(config)
        kept = {"meter": music.meter, "key": music.key, "swing": music.swing} if music else {}
        pm = to_pretty_midi([(item.shape[-1], self.to_tracks(item)) for item in items], self.tracks(config),
                            music.tempo if music else float(data.get("tempo", 120)), int(data.get("steps_per_bar", 16)),
                            **kept)
        pm.write(str(path))

    def write_interpolation(self, x: torch.Tensor, out: Path, config: Config) -> list[Path]:
        """``out`` ending in .mid/.midi: one file playing the steps in order, a bar of rest between
        them; otherwise a directory with one file a step."""
        out = Path(out)
        if out.suffix.lower() in (".mid", ".midi"):
            out.parent.mkdir(parents=True, exist_ok=True)
            self.write(x, out, config)
            return [out]
        return super().write_interpolation(x, out, config)

    def write_reconstructions(self, inputs: torch.Tensor, outputs: torch.Tensor, names: list[str], out_dir: Path,
                              config: Config) -> list[Path]:
        """Each reconstruction in the tempo, meter and key of its own input (``music_memo``)."""
        from vaekit_midi.music_memo import recall, writing

        paths = []
        for x, y, name in zip(inputs, outputs, names):
            with writing(recall(config, x)):
                paths += self._write_each(y[None], [f"{name}_recon"], Path(out_dir), config)
        return paths

    def write_samples(self, x: torch.Tensor, out_dir: Path, config: Config) -> list[Path]:
        """Samples in the run's own 4/4 and tempo, whatever was read before."""
        from vaekit_midi.music_memo import writing

        with writing(plain=True):
            return super().write_samples(x, out_dir, config)

    def export_dataset(self, name: str, n: int, out_dir: Path, config: Config) -> list[Path]:
        from vaekit_midi.music_memo import writing

        with writing(plain=True):
            return super().export_dataset(name, n, out_dir, config)

    def write_audio(self, x: torch.Tensor, path: Path, config: Config) -> None:
        """A WAV of outputs ``(N, ...)`` played in order, a bar of rest between them (the MIDI that
        ``write`` makes, synthesized by FluidSynth)."""
        import tempfile

        import pretty_midi

        from vaekit_midi.render import write_wav

        with tempfile.TemporaryDirectory() as tmp:
            self.write(x, Path(tmp) / "audio.mid", config)
            write_wav(pretty_midi.PrettyMIDI(str(Path(tmp) / "audio.mid")), Path(path))

    def describe(self, x: torch.Tensor, config: Config) -> list[dict]:
        """Each item's tracks as notes ``[onset step, end step, pitch]`` on its grid (drum hits: pitch is
        the General MIDI drum), for the web page's piano rolls and player; where the item came from a
        file read in this request (or from the verb's input), that file's meter, bar length, tempo and key."""
        from vaekit_midi.music_memo import recall_rows

        spb = int(config["data"]["steps_per_bar"])
        names = self.tracks(config)
        items = x.detach().cpu().numpy()
        out = []
        for item, music in zip(items, recall_rows(items, config)):
            meter = {"meter": f"{music.meter[0]}/{music.meter[1]}", "bar_steps": music.bar_steps(spb),
                     "tempo": music.tempo, "key": music.key_name} if music else {}
            out.append({"steps_per_bar": spb, **meter, "tracks": [
                {"name": name, "drums": drums, "notes": notes.tolist()}
                for (name, _, drums), notes in zip(names, self.to_tracks(item))]})
        return out
