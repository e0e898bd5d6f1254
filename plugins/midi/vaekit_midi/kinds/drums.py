"""Drum patterns as MusicVAE encodes them: every drum track (``is_drum``, MIDI channel 10) of a MIDI
file reduced to 9 classes, a 512-token step each (see ``tokens.py``). A pattern is split at a bar
without a hit and windows start at bar lines. Writing plays each hit as a one-step note of its class's
first pitch on a drum track, so tokens -> MIDI -> tokens is exact on the reduced classes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaekit import Config, VaekitError
from vaekit_midi.kinds.base import Kind
from vaekit_midi.midi_file import Grid, grid_of, inside, meter_sections, on_grid, read_midi
from vaekit_midi.parsed import Parsed
from vaekit_midi.tokens import DRUM_CLASS_OF, DRUM_PITCHES, DRUM_VOCAB, decode_hits, encode_hits

if TYPE_CHECKING:
    import torch

    from vaekit import VAE
    from vaekit_midi.corpus import Corpus


def hits_of(grid: Grid, kit: list) -> tuple[np.ndarray, str | None]:
    """Hits ``(N, 2)`` of (onset step, class) of the drum instruments ``kit``, or why there are none."""
    notes, reason = on_grid(grid, kit)
    if reason:
        return np.zeros((0, 2), np.int64), reason
    notes = np.concatenate(notes)
    notes = notes[np.isin(notes[:, 2], list(DRUM_CLASS_OF))]
    classes = np.array([DRUM_CLASS_OF[p] for p in notes[:, 2].tolist()], dtype=np.int64)
    return np.stack([notes[:, 0], classes], 1), None


def pattern_segments(hits: np.ndarray, length: int, bar: int) -> list[np.ndarray]:
    """Token segments of one meter section, split where a whole bar has no hit; each starts on the
    bar line before its first hit and ends on the bar line after its last."""
    hits = hits[np.lexsort((hits[:, 1], hits[:, 0]))]
    if len(hits) == 0:
        return []
    onsets = np.unique(hits[:, 0])
    cut = onsets[np.flatnonzero(np.diff(onsets) > bar) + 1]
    out = []
    for group in np.split(hits, np.searchsorted(hits[:, 0], cut)):
        start = group[0, 0] // bar * bar
        stop = min(-(-(group[-1, 0] + 1) // bar) * bar, length)
        out.append(encode_hits(group - np.array([start, 0]), int(stop - start)))
    return out


class Drums(Kind):
    name = "drums"

    def parse(self, path: Path, steps_per_bar: int = 16) -> Parsed:
        pm, reason = read_midi(path)
        if reason:
            return Parsed(reason=reason)
        kit = [i for i in pm.instruments if i.is_drum and i.notes]
        if not kit:
            return Parsed(reason="no_drums")
        grid = grid_of(pm, path, steps_per_bar)
        hits, reason = hits_of(grid, kit)
        if reason or len(hits) == 0:
            return Parsed(reason=reason or "no_classes")
        sections = meter_sections(grid, int(hits[:, 0].max()) + 1)
        if sections is None:
            return Parsed(reason="too_long")
        out = Parsed()
        for start, stop, length, bar in sections:
            out.segments += [(tokens, bar) for tokens in pattern_segments(inside(hits, start, stop), length, bar)]
        if not out.segments:
            out.reason = "no_meter"
        return out

    def no_window(self, path: Path, parsed: Parsed, steps: int, steps_per_bar: int) -> str:
        longest = max(len(t) for t, _ in parsed.segments)
        return (f"{path}: too short for one {steps}-step drum window (its longest pattern without a silent bar "
                f"has {longest} steps)")

    def no_dataset(self, source: str) -> str:
        return (f"{source or 'folk'}: drums models train on the built-in 'groove' or on your own drum MIDI files: "
                "--data PATH (a folder or a file)")

    def builtin(self, source: str) -> bool:
        return source == "groove"

    def corpus(self, source: str, config: Config) -> Corpus:
        """The Groove MIDI Dataset's drum tokens for ``groove``, else a user's files."""
        if not self.builtin(source):
            return super().corpus(source, config)
        from vaekit_midi.groove import load_groove

        corpus, _ = load_groove(int(config["data"].get("steps_per_bar", 16)))
        corpus.tokens = self.rows(corpus.tokens)
        return corpus

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """What the kind keeps of the built-in performances ``(19, S)`` (see ``groove_midi.py``): the tokens."""
        return rows[0]

    def held_out(self, source: str, corpus: Corpus, has_windows: np.ndarray, val_fraction: float) -> np.ndarray:
        """The Groove MIDI Dataset's own validation performances for ``groove``."""
        if not self.builtin(source) or val_fraction >= 1:
            return super().held_out(source, corpus, has_windows, val_fraction)
        from vaekit_midi.groove import load_groove

        return load_groove()[1] & has_windows

    def load_dataset(self, source: str, config: Config):
        """The windows of :meth:`Kind.load_dataset`, the training ones augmented as ``data.drop_hits``,
        ``data.swap_hats`` and ``data.mix_halves`` say (see ``drum_augment.py``)."""
        from vaekit_midi.drum_augment import AugmentedDrums

        data = super().load_dataset(source, config)
        shares = [float(config["data"].get(k, 0.0)) for k in ("drop_hits", "swap_hats", "mix_halves")]
        if any(shares):
            data.train = AugmentedDrums(data.train.windows.numpy(), *shares)
        return data

    def web_page(self, config: Config) -> str:
        """Drum models open the studio's drums page."""
        return "drums.html"

    def build_model(self, config: Config) -> VAE:
        """MusicVAE's drum model: the bidirectional LSTM encoder and the flat decoder over 512 tokens."""
        from vaekit import VAE
        from vaekit_midi.networks import FlatDecoder, LSTMEncoder, encoder_stride

        m, data = config["model"], config["data"]
        latent, bf16, dropout = m["latent_dim"], m["bf16"], m["dropout"]
        if m["decoder"] != "flat":
            raise VaekitError(f"model.decoder is {m['decoder']!r}; drum models use a flat decoder")
        encoder = LSTMEncoder(latent, m["encoder_hidden"], m["encoder_layers"], m["embed"], dropout, bf16,
                              DRUM_VOCAB, encoder_stride(config))
        decoder = FlatDecoder(latent, data["steps"], m["decoder_hidden"], m["decoder_layers"], m["embed"], dropout,
                              m["sampling_rate"], bf16, DRUM_VOCAB)
        return VAE(encoder, decoder, latent, variational=m["variational"])

    def own_metrics(self, x: torch.Tensor, tf: torch.Tensor, recon: torch.Tensor) -> dict[str, torch.Tensor]:
        from vaekit_midi.metrics import hit_f1

        return {"hit_f1": hit_f1(x, recon)}

    def tracks(self, config: Config) -> list[tuple[str, int, bool]]:
        return [("drums", 0, True)]

    def to_tracks(self, item: np.ndarray) -> list[np.ndarray]:
        return [drum_notes(item)]

    def render(self, x: torch.Tensor, path: Path, config: Config, labels: list[str] | None = None) -> None:
        from vaekit_midi.render import drum_grid

        drum_grid(x.detach().cpu().numpy(), Path(path), labels)


def drum_notes(tokens: np.ndarray) -> np.ndarray:
    """Drum tokens as one-step notes ``(N, 3)`` of (onset, end, the class's first pitch)."""
    hits = decode_hits(tokens)
    pitch = np.array([p[0] for p in DRUM_PITCHES], dtype=np.int64)[hits[:, 1]]
    return np.stack([hits[:, 0], hits[:, 0] + 1, pitch], 1)
