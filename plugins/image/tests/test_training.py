"""Every preset learns on every built-in dataset (a few Adam steps on one batch, loss falls)."""

import pytest
import torch

from vaekit import merge, objective


def _fit(model, batch, steps):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(steps):
        out = model(batch[0], batch[1])
        loss = objective.elbo(out.log_px, out.kl).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("preset", ["conv2d", "conv", "resnet"])
@pytest.mark.parametrize("dataset", ["digits", "shapes"])
def test_preset_learns_on_builtin_data(modality, config_of, preset, dataset):
    torch.manual_seed(0)
    # 16x16 keeps the test fast (resnet defaults to 64, shapes to 32) and still has two stages
    size = 16 if preset == "resnet" or dataset == "shapes" else 0
    config = config_of(preset, data__size=size, data__count=200)
    found = modality.load_dataset(dataset, config)
    train, val = found
    config = merge(config, found.learned)
    assert config["data"]["size"] == (size or 8)
    assert config["data"]["channels"] == 1
    model = modality.build_model(config)
    batch = train.get_batch(torch.arange(32))
    losses = _fit(model, batch, 20)
    assert sum(losses[-3:]) < 0.97 * sum(losses[:3]), losses
    metrics = modality.metrics(model, val.get_batch(torch.arange(8)))
    assert {"mse", "psnr"} <= metrics.keys()


def test_through_the_trainer(modality, config_of, tmp_path):
    from vaekit.config import build
    from vaekit.runs import RunDir
    from vaekit.training import train

    config = build(modality, "conv2d", "digits", None, ["train.steps=40", "train.eval_every=20"])
    run = train(modality, config, tmp_path / "run", progress=False)
    rows = RunDir(run).read_metrics()
    val = [r for r in rows if r["split"] == "val"]
    assert len(val) == 2 and val[-1]["elbo"] > val[0]["elbo"]
    assert RunDir(run).read_config()["data"]["size"] == 8
