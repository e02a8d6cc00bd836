import os
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ANIME_GAN_SHARED_DATA", ROOT.parent / "shared" / "data"))

def shared(name: str) -> Path:
    "A file of the development data set, or skip the test cleanly when it is not on this machine."
    p = SHARED / name
    if not p.exists(): pytest.skip(f"{p} not present (development data is optional)")
    return p


# a tiny DCGAN-family budget and 64 procedural faces, shared by the training tests
TINY = {"model.dcgan.g_width": 8, "model.dcgan.d_width": 8, "train.batch_size": 16, "data.resolution": 32, "train.ckpt_every": 3}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from anime_gan.data import prepare, DataCfg
    os.environ["ANIME_GAN_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    return prepare(DataCfg(n_procedural=64, resolution=32), verbose=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs a CUDA device (run by `make gpu-check`; skipped elsewhere with the reason)")


def pytest_collection_modifyitems(config, items):
    import torch
    if torch.cuda.is_available(): return
    skip = pytest.mark.skip(reason="needs a CUDA device: `make gpu-check` runs these on a GPU machine")
    for item in items:
        if "gpu" in item.keywords: item.add_marker(skip)
