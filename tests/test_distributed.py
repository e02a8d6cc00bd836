"`torchrun --nproc_per_node 2` (gloo, CPU) ends where one process with the same global batch ends."
import os, subprocess, sys
import pytest, torch
from anime_gan.safety import load_checkpoint

ARGS = ["--steps", "6", "--batch-size", "16", "--resolution", "32", "--device", "cpu", "--quiet",
        "--set", "model.dcgan.g_width=8", "--set", "model.dcgan.d_width=8", "--set", "data.n_procedural=64",
        "--set", "train.ckpt_every=3",
        "--set", "train.amp=false"]   # the equality is of the arithmetic (float32): bf16 rounds a split batch differently

def _run(cmd, env):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r

R1 = ["--set", "loss.r1_gamma=10", "--set", "loss.r1_every=1"]     # R1 differentiates twice through D's BatchNorm

@pytest.mark.parametrize("model,extra", [("dcgan", []), ("wgan-gp", []), ("dcgan", R1)], ids=["dcgan", "wgan-gp", "dcgan-r1"])
def test_two_processes_equal_one(tmp_path, model, extra):
    env = {**os.environ, "ANIME_GAN_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    one, two = tmp_path / "one", tmp_path / "two"
    _run([sys.executable, "-m", "anime_gan.cli", "train", "--model", model, "--out", str(one), *ARGS, *extra], env)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    r = _run([*torchrun, "-m", "anime_gan.cli", "train", "--model", model, "--out", str(two), *ARGS, *extra], env)
    assert "2 processes" in r.stdout
    a, b = load_checkpoint(one / "checkpoint.pt"), load_checkpoint(two / "checkpoint.pt")
    assert a["step"] == b["step"] == 6
    n = 0
    for net in a["nets"]:
        for k, v in a["nets"][net].items():
            if v.is_floating_point():
                n += 1
                assert torch.allclose(v, b["nets"][net][k], rtol=1e-3, atol=2e-5), (net, k, (v - b["nets"][net][k]).abs().max())
    assert n > 20                                                   # weights and BN running statistics compared
    for ra, rb in zip(a["history"], b["history"]):                 # losses averaged over ranks = the global batch's
        assert set(ra) == set(rb) and (model != "wgan-gp" or "gp" in ra) and (not extra or "r1" in ra)
        for k in ra:
            assert abs(ra[k] - rb[k]) < 1e-3 * max(1, abs(ra[k])), (k, ra, rb)
    # rank 0 alone wrote: one config, one history, no stray temporary files, and the lock is gone
    assert sorted(p.name for p in two.iterdir()) == sorted(p.name for p in one.iterdir())

SMALL_STYLE = [x for kv in ("model.stylegan.channel_base=256", "model.stylegan.channel_max=32", "model.stylegan.w_dim=32",
                             "model.z_dim=32", "model.stylegan.map_layers=2", "model.stylegan.grow_steps=2", "loss.pl_every=2",
                             "loss.r1_every=2") for x in ("--set", kv)]

@pytest.mark.parametrize("model", ["stylegan-a", "stylegan-b", "vae-gan"])
def test_other_families_train_under_torchrun(tmp_path, model):
    "Progressive growing (unused layers early), lazy R1 + path length, the VAE encoder: DDP runs them and rank 0 writes."
    env = {**os.environ, "ANIME_GAN_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    extra = SMALL_STYLE if model.startswith("stylegan") else []
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    r = _run([*torchrun, "-m", "anime_gan.cli", "train",
              "--model", model, "--out", str(tmp_path / "run"), *ARGS, *extra], env)
    assert "2 processes" in r.stdout and "done: 6 steps" in r.stdout
    st = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    floats = [v for net in st["nets"].values() for v in net.values() if v.is_floating_point()]
    assert st["step"] == 6 and all(torch.isfinite(v).all() for v in floats)

def test_global_batchnorm_matches_batchnorm_under_gloo(tmp_path):
    "Forward and backward of GlobalBatchNorm2d over 2 processes == BatchNorm2d on the concatenated batch."
    script = tmp_path / "bn.py"
    script.write_text('''
import torch, torch.nn as nn, torch.distributed as dist
from anime_gan.distributed import init_distributed, sync_batchnorm, shard, dist_info
init_distributed(); r, w = dist_info()
torch.manual_seed(0); x = torch.randn(8, 3, 5, 5) * 2 + 1; gy = torch.randn(8, 3, 5, 5)
ref = nn.BatchNorm2d(3); net = sync_batchnorm(nn.Sequential(nn.BatchNorm2d(3)), torch.device("cpu"))
xr = x.clone().requires_grad_(True); yr = ref(xr); (yr * gy).sum().backward()
xl = shard(x, w, r).clone().requires_grad_(True); yl = net(xl); (yl * shard(gy, w, r)).sum().backward()
assert type(net[0]).__name__ == "GlobalBatchNorm2d"
assert torch.allclose(yl, shard(yr, w, r), atol=1e-5)
assert torch.allclose(xl.grad, shard(xr.grad, w, r), atol=1e-5)
g = net[0].weight.grad.clone(); dist.all_reduce(g)                    # DDP would sum (then average) these
assert torch.allclose(g, ref.weight.grad, atol=1e-4)
assert torch.allclose(net[0].running_var, ref.running_var, atol=1e-5)
print("ok", r)
dist.destroy_process_group()
''')
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(script)], env)
    assert r.stdout.count("ok") == 2
