"On CUDA (`make gpu-check`): the loop agrees with the CPU, bf16 and fp16 train, a GPU checkpoint reads on the CPU, NCCL runs."
import os, subprocess, sys
from unittest import mock
import pytest, torch
from anime_gan.config import make_config
from anime_gan.env import precision
from anime_gan.safety import load_checkpoint
from anime_gan.train import train, snapshots
from conftest import TINY

pytestmark = pytest.mark.gpu
STYLE = {"model.stylegan.channel_base": 256, "model.stylegan.channel_max": 32, "model.stylegan.w_dim": 32, "model.z_dim": 32,
         "model.stylegan.map_layers": 2, "loss.pl_every": 2, "loss.r1_every": 2}


def _cfg(variant, device, **more):
    return make_config(variant, TINY, STYLE if variant.startswith("stylegan") else {},
                       {"train.steps": 4, "train.device": device, "train.amp": False, **more})


@pytest.mark.parametrize("variant", ["dcgan", "wgan-gp", "use-cmhsa-gan", "vae-gan", "stylegan-b", "stylegan-a"])
def test_a_few_steps_on_cuda_agree_with_cpu(tmp_path, data, variant):
    "fp32, TF32 off: the same seeds give the same losses on the GPU and the CPU, within float tolerance."
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    runs = {d: train(_cfg(variant, d), data, tmp_path / d, progress=False) for d in ("cpu", "cuda")}
    for a, b in zip(runs["cpu"].history.to_dict("records"), runs["cuda"].history.to_dict("records")):
        for k in ("loss_d", "loss_g"):
            assert abs(a[k] - b[k]) <= 2e-3 * max(1.0, abs(a[k])), (variant, k, a, b)


def test_bf16_autocast_trains_on_cuda(tmp_path, data):
    cfg = make_config("dcgan", TINY, {"train.steps": 20, "train.device": "cuda"})
    r = train(cfg, data, tmp_path / "bf16", progress=False)
    h = r.history
    assert torch.isfinite(torch.tensor(h[["loss_d", "loss_g"]].values)).all()
    print("precision on this GPU:", precision("cuda"))


def test_fp16_with_gradient_scalers_trains_on_cuda(tmp_path, data):
    "The V100/T4 path (fp16 autocast + GradScaler), forced on whatever GPU this is: finite losses, scalers checkpointed."
    cfg = make_config("dcgan", TINY, {"train.steps": 20, "train.device": "cuda"})
    with mock.patch("anime_gan.train.precision", lambda dev, amp=True: "fp16"):
        h = train(cfg, data, tmp_path / "fp16", progress=False).history
    assert torch.isfinite(torch.tensor(h[["loss_d", "loss_g"]].values)).all()
    assert load_checkpoint(tmp_path / "fp16" / "checkpoint.pt")["scalers"]["D"]["scale"] > 0


def test_gpu_checkpoint_and_snapshots_read_on_cpu(tmp_path, data):
    cfg = _cfg("dcgan", "cuda", **{"train.snapshot_kimg": (0.032,)})
    train(cfg, data, tmp_path / "g", progress=False)
    st = load_checkpoint(tmp_path / "g" / "checkpoint.pt")                   # default map_location: the CPU
    devices = {v.device.type for net in st["nets"].values() for v in net.values()}
    assert devices == {"cpu"} and st["step"] == 4
    assert len(snapshots(tmp_path / "g")) >= 1


def test_ddp_nccl_world_size_one(tmp_path):
    env = {**os.environ, "ANIME_GAN_CACHE": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1", "-m", "anime_gan.cli",
           "train", "--model", "dcgan", "--out", str(tmp_path / "ddp"), "--steps", "4", "--batch-size", "16", "--resolution",
           "32", "--device", "cuda", "--quiet", "--set", "model.dcgan.g_width=8", "--set", "model.dcgan.d_width=8",
           "--set", "data.n_procedural=64"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "done: 4 steps" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]
