"""A small conv model on digits trained on one process and on two (torchrun, gloo), through the real command."""

from vaekit.testing_distributed import environment, follows_one_process


def test_two_processes_follow_the_single_process_curve(tmp_path):
    # no reparameterisation noise and no batch norm (each rank would normalise over its share of the batch):
    # the curves must then agree to float rounding
    follows_one_process(tmp_path, "-m", "image", "-p", "conv", "--data", "digits", "--set", "model.widths=[8,16]",
                        "--set", "model.hidden=32", "--set", "model.latent_dim=4", "--set", "train.batch_size=32",
                        "--set", "model.variational=false", "--set", "model.norm=none", "--set", "train.log_every=5",
                        "--steps", 30, tolerance=1e-4,
                        env=environment(VAEKIT_LOAD_PLUGINS="image", VAEKIT_CACHE=str(tmp_path / "cache")))
