"""Drums with velocity and microtiming, as GrooVAE models them: each step of each of the 9 drum classes
is a hit, a velocity and an offset from the grid (``groove_midi.py``), read from 4/4 drum MIDI files or
the built-in ``groove`` data. An item is ``(input, target)``: the target a real performance ``(27, T)``,
the input its quantised score (humanise) or its onsets on one voice (Tap2Drum), ``(28, T)`` with the
task in the last row (``groove_model.task_input``). Written as played: each hit at its velocity and
offset, at ``data.tempo``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaekit import Config, Data, VaekitError
from vaekit_midi.groove_midi import BAR, CLASSES, ROWS, parse_performance, to_features, to_rows, write_performance
from vaekit_midi.kinds.drums import Drums, drum_notes
from vaekit_midi.parsed import REASONS, Parsed

if TYPE_CHECKING:
    import torch

    from vaekit import VAE


class GrooveDataset:
    """Performances ``(N, 27, T)`` as ``(task input, performance)`` pairs. Training draws each item's task
    at random among ``tasks`` (torch's global RNG); validation alternates them by index, so that it is
    the same every time."""

    def __init__(self, rows: np.ndarray, tasks: list[str], train: bool):
        import torch

        from vaekit_midi.groove_model import TASKS

        self.x = torch.from_numpy(to_features(rows))
        self.tasks = torch.tensor([TASKS[t] for t in tasks])
        self.train = train

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, index: int):
        import torch

        x_in, x = self.get_batch(torch.tensor([index]))
        return x_in[0], x[0]

    def get_batch(self, indices: torch.Tensor):
        import torch

        from vaekit_midi.groove_model import task_input

        x = self.x[indices]
        pick = (torch.randint(len(self.tasks), (len(indices),)) if self.train else indices % len(self.tasks))
        return task_input(x, self.tasks[pick]), x


class Groove(Drums):
    name = "groove"
    empty = np.zeros((ROWS, 0), np.int16)
    verbs = {"groove": "humanise a drum beat: the same hits with a drummer's velocities and timing",
             "drumify": "a full drum beat on the onsets of any rhythm (Tap2Drum)"}

    def parse(self, path: Path, steps_per_bar: int = 16) -> Parsed:
        if steps_per_bar != BAR:
            raise VaekitError(f"groove models use 16 steps a bar (data.steps_per_bar), not {steps_per_bar}")
        return parse_performance(path)

    def rows(self, rows: np.ndarray) -> np.ndarray:
        return rows

    def no_dataset(self, source: str) -> str:
        return (f"{source or 'folk'}: groove models train on the built-in 'groove' or on your own 4/4 drum MIDI "
                "files: --data PATH (a folder or a file)")

    def load_dataset(self, source: str, config: Config):
        """Train and validation windows of ``data.steps`` steps at each bar line, split by performance."""
        from vaekit_midi.dataset import shuffled, unique_rows

        data = config["data"]
        corpus = self.corpus(source, config)
        w, owner, skipped = corpus.windows(int(data.get("steps", 32)), int(data.get("hop_bars", 1)))
        if len(w) == 0:
            raise VaekitError(f"{source}: no {data.get('steps', 32)}-step drum window in {len(corpus.names)} files "
                              f"({', '.join(f'{n} {REASONS[k]}' for k, n in skipped.most_common())})")
        in_val = self.in_validation(source, corpus, owner, float(data.get("val_fraction", 0.1)))
        tasks = list(data.get("tasks", ["humanize", "tap"]))
        return Data(GrooveDataset(shuffled(unique_rows(w[~in_val])), tasks, True),
                    GrooveDataset(shuffled(unique_rows(w[in_val])), tasks, False))

    def read(self, path: Path, config: Config) -> torch.Tensor:
        """Every 2-bar window ``(K, 27, T)`` of one file at each bar line, in order."""
        import torch

        steps = int(config.get("data", {}).get("steps", 32))
        path = Path(path)
        if path.suffix.lower() not in self.file_types:
            raise VaekitError(self.wrong_type(path))
        parsed = self.parse(path)
        if parsed.reason:
            raise VaekitError(f"{path}: {REASONS[parsed.reason]}")
        windows = [seg[:, s: s + steps] for seg, _ in parsed.segments for s in range(0, seg.shape[1] - steps + 1, BAR)]
        if not windows:
            raise VaekitError(f"{path}: too short for one {steps}-step window (no {steps // BAR} bars in a row with "
                              "a hit in each)")
        return torch.from_numpy(to_features(np.stack(windows)))

    def file_verbs(self, config: Config) -> dict[str, str]:
        return dict(self.verbs)

    def apply(self, verb: str, model: VAE, path: Path, config: Config, temperature: float,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Groove or drumify a whole file (``grooving.py``): its score and the performance, each ``(1, 27, L)``."""
        import torch

        from vaekit_midi.grooving import apply

        if verb not in self.verbs:
            raise VaekitError(f"groove models have the verbs {', '.join(self.verbs)}, not {verb!r}")
        rows, played = apply(verb, model, path, config, temperature, generator)
        return torch.from_numpy(to_features(rows))[None], torch.from_numpy(to_features(played))[None]

    def build_model(self, config: Config) -> VAE:
        """GrooVAE: a bidirectional LSTM encoder and an LSTM decoder of hits, velocities and offsets."""
        from vaekit import VAE
        from vaekit_midi.groove_model import GrooveDecoder, GrooveEncoder

        m, data = config["model"], config["data"]
        encoder = GrooveEncoder(m["latent_dim"], m["encoder_hidden"], m["bf16"])
        decoder = GrooveDecoder(m["latent_dim"], data["steps"], m["decoder_hidden"], m["decoder_layers"], m["bf16"],
                                m["sigma"], m["feedback"])
        return VAE(encoder, decoder, m["latent_dim"], variational=m["variational"])

    def metrics(self, model: VAE, batch: tuple[torch.Tensor, ...]) -> dict[str, float]:
        """With z = mu: steps whose 9 hits are all right, teacher-forced and greedy (``acc_tf``,
        ``acc_sampled``), hit F1 of the greedy decoding, and with the target's hits imposed, the mean
        absolute error of velocities (MIDI units) and offsets (steps) on the hits."""
        import torch

        x_in, x = (t.to(model.device) for t in batch[:2])
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                mu, _ = model.encoder(x_in)
                tf = model.decoder(mu, x)[:, :CLASSES] > 0
                recon = model.decoder.sample(mu, 0.0)[:, :CLASSES] > 0
                played = model.decoder.sample(mu, 0.0, hits=x[:, :CLASSES])
        finally:
            model.train(was_training)
        hits = x[:, :CLASSES] > 0
        both = (hits & recon).sum()
        n = hits.sum().clamp_min(1)
        err = (played[:, CLASSES:] - x[:, CLASSES:]).abs() * hits.repeat(1, 2, 1)
        return {"acc_tf": (tf == hits).all(1).float().mean().item(),
                "acc_sampled": (recon == hits).all(1).float().mean().item(),
                "hit_f1": (2 * both / (hits.sum() + recon.sum()).clamp_min(1)).item(),
                "velocity_err": (err[:, :CLASSES].sum() / n * 127).item(),
                "offset_err": (err[:, CLASSES:].sum() / n).item()}

    def write(self, x, path: Path, config: Config) -> None:
        """One performance ``(27, T)``, or several played in order a bar apart, as a MIDI file."""
        items = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)
        if items.ndim == 2:
            items = items[None]
        write_performance([to_rows(item) for item in items], Path(path),
                          float(config.get("data", {}).get("tempo", 120)), gap_bars=1)

    def to_tracks(self, item: np.ndarray) -> list[np.ndarray]:
        return [drum_notes(to_rows(item)[0])]

    def render(self, x: torch.Tensor, path: Path, config: Config, labels: list[str] | None = None) -> None:
        from vaekit_midi.render import performance_grid

        performance_grid(x.detach().cpu().numpy(), Path(path), labels)
