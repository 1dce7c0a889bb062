from mobench.core import BenchConfig
from mobench.devices import get_device


def test_torch_eager_run_fused_and_unfused():
    cfg = BenchConfig(name="t", warmup=1, rounds=1, inferences=3)
    for fuse in (True, False):
        dev = get_device("torch", threads=1, fuse=fuse, resolution=64)
        rec = dev.run("timm:test_efficientnet", None, cfg)
        assert rec.n_samples == 3 and rec.reparameterized is fuse and rec.artifact_format == "torch"
        assert rec.device_info["fused"] is fuse and rec.device_info["torch_version"]
        assert dev.options_key()["fuse"] is fuse
