"""Named image configs, merged over the core defaults. Every key a user may ``--set`` is here."""

from __future__ import annotations

from vaekit import Config, merge

BASE: Config = {
    "task": "reconstruct",  # reconstruct | denoise | superres
    "noise": {"kind": "gaussian", "amount": 0.3},  # denoise: gaussian (std) | salt_pepper | mask (fraction)
    "superres": {"factor": 2},  # superres: input downsampled by this factor, then upsampled back (bicubic)
    "data": {
        "size": 0,  # side in pixels; 0 = from the data (images are made square by a centre crop)
        "channels": 0,  # 1 or 3; 0 = from the data
        "binarize": False,  # resample a binary target from each grey pixel at every batch (dynamic)
        "split": "random",  # random | tail (the last val_fraction held out, in file order)
        "seed": 0,  # the random split and the generated shapes
        "count": 10000,  # how many sprites the built-in shapes dataset draws
        "label_names": [],  # filled in from the data: label index -> name
    },
    "model": {
        "likelihood": "bernoulli",  # bernoulli (pixels in [0, 1]) | gaussian
        "sigma": None,  # gaussian: fixed pixel std, or null to learn one per channel
        "latent_dim": 16,
        "variational": True,  # false: a plain autoencoder
        "widths": [32, 64],  # channels of the stride-2 stages (the last repeats)
        "hidden": 256,  # dense layer between the convolutions and z (0: none)
        "blocks": 0,  # residual blocks per stage
        "norm": "batch",  # batch | none: normalization after each strided convolution
        "bf16": "auto",  # true | false | "auto": bf16 autocast of the convolutions on CUDA
    },
    "train": {"batch_size": 128, "lr": 1e-3, "epochs": 30, "time_limit": "15m", "eval_every": 200},
}

PRESETS: dict[str, Config] = {
    # The Keras example: conv 32 s2 -> conv 64 s2 -> dense 16 -> 2-D latent, for the two pictures.
    "conv2d": merge(BASE, {"model": {"latent_dim": 2, "widths": [32, 64], "hidden": 16, "norm": "none"}}),
    # The default: wider, a 32-D latent, two residual blocks a stage (on MNIST the blocks lowered the
    # held-out NLL; wider stages or a 64-D latent did worse: the image plugin's README).
    "conv": merge(BASE, {"model": {"latent_dim": 32, "widths": [32, 64, 128], "hidden": 512, "blocks": 2}}),
    # Deeper, residual, for 64x64 colour images with a Gaussian likelihood.
    "resnet": merge(BASE, {
        "data": {"size": 64},
        "model": {"likelihood": "gaussian", "latent_dim": 64, "widths": [32, 64, 128, 256], "hidden": 512, "blocks": 1},
        "train": {"batch_size": 64, "lr": 5e-4, "epochs": 50, "time_limit": "30m"},
    }),
}
