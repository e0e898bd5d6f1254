import math

import numpy as np
import pytest
import torch

import vaekit
from vaekit import checkpoint, runs
from vaekit.config import build
from vaekit.errors import VaekitError
from vaekit.pipeline import Pipeline
from vaekit.training import adam, train


def _config(modality, **train_keys):
    sets = [f"train.{k}={v}" for k, v in train_keys.items()]
    return build(modality, overrides=["data.items=800", "train.eval_every=50", *sets])


def _rows(run_dir, split):
    return [r for r in runs.RunDir(run_dir).read_metrics() if r["split"] == split]


def test_the_test_modality_learns_and_beats_a_fixed_baseline(vectors, tmp_path):
    config = _config(vectors, steps=600, log_every=20)
    train(vectors, config, tmp_path / "run", progress=False)
    rows = _rows(tmp_path / "run", "train")
    assert rows[-1]["recon"] < rows[0]["recon"] - 20  # log-likelihood per vector rose by far more than noise
    p = Pipeline.open(tmp_path / "run")
    result = p.evaluate(k=50)
    # baseline: one diagonal Gaussian fitted to the training vectors
    train_x, val_x = (np.stack([d[i][0].numpy() for i in range(len(d))]) for d in vectors.load_dataset("waves", config))
    mean, std = train_x.mean(0), train_x.std(0)
    baseline_nll = float((0.5 * ((val_x - mean) / std) ** 2 + np.log(std) + 0.5 * math.log(2 * math.pi)).sum(1).mean())
    assert result["nll_iw"] < baseline_nll - 20
    assert result["nll_iw"] <= -result["elbo"] + 1e-3  # the IWAE bound is tighter than the ELBO
    assert result["mse"] < 0.05


def test_the_python_api_trains_and_resumes_as_the_cli_does(vectors, tmp_path):
    import vaekit

    run = vaekit.train("vectors", config={"train": {"eval_every": 10}}, overrides=["data.items=300"], steps=20,
                       out=tmp_path / "run", device="cpu", progress=False)
    assert run == tmp_path / "run" and _rows(run, "val")[-1]["step"] == 20
    with pytest.raises(VaekitError, match="already holds a run"):
        vaekit.train("vectors", steps=20, out=run, progress=False)
    vaekit.train(out=run, resume=True, steps=30, device="cpu", progress=False)
    assert _rows(run, "val")[-1]["step"] == 30 and runs.RunDir(run).read_config()["train"]["eval_every"] == 10
    p = vaekit.load(run)
    p.generate(2, out=tmp_path / "gen")
    assert p.written == [tmp_path / "gen" / "sample_000.csv", tmp_path / "gen" / "sample_001.csv"]


def test_same_seed_gives_same_metrics(vectors, tmp_path):
    for name in ("a", "b"):
        train(vectors, _config(vectors, steps=60), tmp_path / name, progress=False)
    a, b = ([{k: v for k, v in r.items() if k not in ("seconds", "examples_per_s")}
             for r in runs.RunDir(tmp_path / n).read_metrics()] for n in "ab")
    assert len(a) > 2 and a == b


def test_resume_is_exact(vectors, tmp_path):
    train(vectors, _config(vectors, steps=20), tmp_path / "whole", progress=False)
    train(vectors, _config(vectors, steps=10), tmp_path / "split", progress=False)
    train(vectors, _config(vectors, steps=20), tmp_path / "split", resume=True, progress=False)
    whole, _ = checkpoint.read_checkpoint(tmp_path / "whole" / runs.LAST)
    split, meta = checkpoint.read_checkpoint(tmp_path / "split" / runs.LAST)
    assert meta["state"]["step"] == 20
    for key in whole:
        assert torch.equal(whole[key], split[key]), key


def test_a_resumed_run_counts_its_earlier_time_against_the_limit(vectors, tmp_path):
    train(vectors, _config(vectors, steps=40), tmp_path / "run", progress=False)
    spent = checkpoint.read_checkpoint(tmp_path / "run" / runs.LAST)[1]["state"]["seconds"]
    train(vectors, _config(vectors, steps="null", time_limit=spent), tmp_path / "run", resume=True, progress=False)
    assert checkpoint.read_checkpoint(tmp_path / "run" / runs.LAST)[1]["state"]["step"] == 40


def test_existing_run_is_refused_without_resume_or_force(vectors, tmp_path):
    train(vectors, _config(vectors, steps=5), tmp_path / "run", progress=False)
    with pytest.raises(VaekitError, match="already holds a run"):
        train(vectors, _config(vectors, steps=5), tmp_path / "run", progress=False)
    train(vectors, _config(vectors, steps=5), tmp_path / "run", force=True, progress=False)


def test_nan_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint(vectors, tmp_path, monkeypatch):
    train(vectors, _config(vectors, steps=10), tmp_path / "run", progress=False)
    before = (tmp_path / "run" / runs.LAST).read_bytes()
    from vaekit_vectors import models

    original = models.GaussianDecoder.log_prob

    def poisoned(self, logits, x):
        return original(self, logits, x) * float("nan")

    monkeypatch.setattr(models.GaussianDecoder, "log_prob", poisoned)
    with pytest.raises(VaekitError, match=r"step 11: the loss is nan"):
        train(vectors, _config(vectors, steps=20), tmp_path / "run", resume=True, progress=False)
    assert (tmp_path / "run" / runs.LAST).read_bytes() == before


def test_best_metric_picks_the_checkpoint(vectors, tmp_path, monkeypatch):
    from vaekit import training

    saved = []
    original = training.Trainer._save

    def recording(self, path, *args, **kwargs):
        if path.name == runs.BEST:
            saved.append(self.step)
        return original(self, path, *args, **kwargs)

    monkeypatch.setattr(training.Trainer, "_save", recording)
    picked = {}
    for metric in ("elbo", "recon"):  # recon is a loss: "higher is better" picks an early step, on purpose
        saved.clear()
        train(vectors, _config(vectors, steps=60, eval_every=10, best_metric=metric), tmp_path / metric,
              progress=False)
        picked[metric] = saved[-1]
        assert picked[metric] == max(_rows(tmp_path / metric, "val"), key=lambda r: r[metric])["step"]
    assert picked["elbo"] != picked["recon"]
    with pytest.raises(VaekitError, match="train.best_metric 'accuracy' is not a validation value of this run; "
                                          "choose one of elbo, kl, "):
        train(vectors, _config(vectors, steps=10, eval_every=5, best_metric="accuracy"), tmp_path / "bad",
              progress=False)


def test_init_from_starts_from_another_runs_weights(vectors, tmp_path):
    train(vectors, _config(vectors, steps=200), tmp_path / "base", progress=False)
    train(vectors, _config(vectors, steps=1, eval_every=1), tmp_path / "tuned", init_from=tmp_path / "base",
          progress=False)
    train(vectors, _config(vectors, steps=1, eval_every=1), tmp_path / "fresh", progress=False)
    tuned, fresh = _rows(tmp_path / "tuned", "val")[-1], _rows(tmp_path / "fresh", "val")[-1]
    assert tuned["elbo"] > fresh["elbo"] + 10


def test_plain_autoencoder_has_no_kl(vectors, tmp_path):
    config = build(vectors, overrides=["model.variational=false", "train.steps=30", "data.items=400"])
    train(vectors, config, tmp_path / "ae", progress=False)
    assert all(r["kl"] == 0 for r in _rows(tmp_path / "ae", "train"))


def test_a_failing_checkpoint_write_keeps_the_previous_one_and_says_so(vectors, tmp_path, monkeypatch):
    train(vectors, _config(vectors, steps=10), tmp_path / "run", progress=False)
    before = (tmp_path / "run" / runs.LAST).read_bytes()

    real_replace = runs.os.replace

    def disk_full(src, dst):
        if str(dst).endswith(runs.LAST):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(runs.os, "replace", disk_full)
    with pytest.raises(VaekitError, match=r"last.safetensors: could not write the checkpoint at step 20 "
                                          r"\(No space left on device\); the previous checkpoint is intact"):
        train(vectors, _config(vectors, steps=20, eval_every=1000), tmp_path / "run", resume=True, progress=False)
    assert (tmp_path / "run" / runs.LAST).read_bytes() == before
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.endswith(".tmp")]


def test_exploding_gradients_stop_naming_the_step(vectors, tmp_path, monkeypatch):
    from vaekit_vectors import models

    original = models.GaussianDecoder.log_prob

    def exploding(self, logits, x):
        return original(self, logits, x) * torch.tensor(1e38) * 1e38 if self.training else original(self, logits, x)

    monkeypatch.setattr(models.GaussianDecoder, "log_prob", exploding)
    with pytest.raises(VaekitError, match=r"step 1: the (loss|gradient norm) is"):
        train(vectors, _config(vectors, steps=20), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()  # a new run that failed before its first checkpoint leaves nothing


def test_an_empty_dataset_split_is_a_clear_error(vectors, tmp_path, monkeypatch):
    from torch.utils.data import TensorDataset

    empty = TensorDataset(torch.zeros(0, 32), torch.zeros(0, 32))
    monkeypatch.setattr(type(vectors), "load_dataset", lambda self, source, config: vaekit.Data(empty, empty))
    with pytest.raises(VaekitError, match="waves: the dataset has an empty train or validation split"):
        train(vectors, _config(vectors, steps=5), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_adam_is_fused_on_cpu_and_falls_back_where_torch_has_no_fused_kernel(monkeypatch):
    weight = torch.nn.Parameter(torch.ones(3))
    if torch.__version__ >= "2.4":  # torch's first fused Adam for the CPU
        assert adam([weight], 0.1).defaults["fused"]
    plain_adam = torch.optim.Adam

    def adam_without_fused(params, lr, fused=None):
        if fused:
            raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of supported devices")
        return plain_adam(params, lr=lr)

    monkeypatch.setattr(torch.optim, "Adam", adam_without_fused)
    optimizer = adam([weight], 0.1)
    assert not optimizer.defaults["fused"]
    weight.sum().backward()
    optimizer.step()
    assert torch.allclose(weight.detach(), torch.full((3,), 0.9))
