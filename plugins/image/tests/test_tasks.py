import pytest
import torch
from vaekit_image import tasks
from vaekit_image.metrics import psnr

from vaekit import merge, objective
from vaekit.errors import VaekitError


def test_noise_kinds():
    torch.manual_seed(0)
    x = torch.full((64, 3, 16, 16), 0.5)
    g = tasks.add_noise(x, "gaussian", 0.1)
    assert abs(float((g - x).std()) - 0.1) < 0.01 and g.min() >= 0 and g.max() <= 1
    sp = tasks.add_noise(x, "salt_pepper", 0.2)
    changed = (sp != x).all(1)  # all channels of a pixel change together
    assert abs(float(changed.float().mean()) - 0.2) < 0.02
    assert set(sp[changed.unsqueeze(1).expand_as(sp)].unique().tolist()) == {0.0, 1.0}
    m = tasks.add_noise(x, "mask", 0.3)
    assert abs(float((m == 0).float().mean()) - 0.3) < 0.02


def test_superres_input_is_the_bicubic_baseline():
    x = torch.rand(2, 1, 16, 16)
    config = {"task": "superres", "noise": {}, "superres": {"factor": 4}}
    low = tasks.low_res(x, 4)
    assert low.shape == (2, 1, 4, 4) and torch.allclose(low[0, 0, 0, 0], x[0, 0, :4, :4].mean())
    assert torch.equal(tasks.corrupt(x, config), tasks.upscale(low, 16))


def test_check_names_the_bad_key(config_of):
    tasks.check(config_of("conv"))
    for key, value, match in [("task", "paint", "task="), ("noise__kind", "pink", "noise.kind"),
                              ("noise__amount", 2.0, "noise.amount"), ("superres__factor", 1, "superres.factor")]:
        config = config_of("conv", **{key: value})
        if key == "noise__amount":
            config["noise"]["kind"] = "mask"
        with pytest.raises(VaekitError, match=match):
            tasks.check(config)


def test_dataset_corrupts_per_batch_with_the_global_rng(modality, config_of):
    config = config_of("conv", task="denoise", noise__kind="salt_pepper", noise__amount=0.2, data__binarize=True)
    train, _ = modality.load_dataset("digits", config)
    idx = torch.arange(16)
    torch.manual_seed(3)
    a = train.get_batch(idx)
    torch.manual_seed(3)
    b = train.get_batch(idx)
    assert all(torch.equal(p, q) for p, q in zip(a, b))
    inputs, target, labels = a
    assert set(target.unique().tolist()) <= {0.0, 1.0}  # dynamic binarization
    assert not torch.equal(inputs, target) and labels.shape == (16,)
    item = train[0]
    assert len(item) == 3 and item[0].shape == (1, 8, 8)


def test_denoising_beats_the_noisy_input_on_held_out_images(modality, config_of):
    """The lesson's denoising autoencoder (``model.variational=false``) on digits."""
    torch.manual_seed(0)
    config = config_of("conv", task="denoise", noise__kind="gaussian", noise__amount=0.4, model__variational=False)
    found = modality.load_dataset("digits", config)
    train, val = found
    model = modality.build_model(merge(config, found.learned))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(200):
        x_in, target, _ = train.get_batch(torch.randint(0, len(train), (64,)))
        out = model(x_in, target)
        loss = objective.elbo(out.log_px, out.kl).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    metrics = modality.metrics(model, val.get_batch(torch.arange(len(val))))
    assert metrics["psnr"] > metrics["psnr_baseline"] + 2.0, metrics


def test_psnr():
    x = torch.zeros(2, 1, 4, 4)
    y = x.clone()
    y[1] += 0.1
    values = psnr(y, x)
    assert values[0] == 100.0 and torch.isclose(values[1], torch.tensor(20.0))
