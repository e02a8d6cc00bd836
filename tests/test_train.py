"The one loop: exact resume after a kill, a loss that falls, WGAN clipping, every variant trains."
import os, signal, subprocess, sys, textwrap
import pytest, torch
from anime_gan.config import make_config, VARIANTS
from anime_gan.train import train
from anime_gan.safety import load_checkpoint
from conftest import TINY



def _states_equal(a, b):
    for k in a.nets:
        for (n, x), (_, y) in zip(a.nets[k].state_dict().items(), b.nets[k].state_dict().items()):
            if not torch.equal(x, y): return f"{k}.{n}"
    return None


KILLER = textwrap.dedent("""
    import os, signal, sys
    from anime_gan.config import make_config
    from anime_gan.data import prepare, DataCfg
    from anime_gan.train import train
    cfg = make_config(sys.argv[2], {tiny!r}, {{"train.steps": 12, "train.ema": 0.9}})
    data = prepare(DataCfg(n_procedural=64, resolution=32), verbose=False)
    def die(step, logs):
        if step == 8: os.kill(os.getpid(), signal.SIGKILL)    # mid-run, two steps after the last checkpoint
    train(cfg, data, sys.argv[1], callback=die, progress=False)
""")


@pytest.mark.parametrize("variant", ["use-cmhsa-gan", "wgan-gp"])
def test_killed_run_resumes_to_identical_result(tmp_path, data, variant):
    script = tmp_path / "killer.py"
    script.write_text(KILLER.format(tiny=TINY))
    p = subprocess.run([sys.executable, str(script), str(tmp_path / "killed"), variant], env=os.environ.copy())
    assert p.returncode == -signal.SIGKILL
    cfg = make_config(variant, TINY, {"train.steps": 12, "train.ema": 0.9})
    st = load_checkpoint(tmp_path / "killed" / "checkpoint.pt")
    assert st["step"] == 6                                      # the kill lost steps 7 and 8
    resumed = train(cfg, data, tmp_path / "killed", progress=False)
    full = train(cfg, data, tmp_path / "full", progress=False)
    assert _states_equal(full, resumed) is None
    assert torch.equal(next(iter(full.G.state_dict().values())), next(iter(resumed.G.state_dict().values())))
    assert full.history.equals(resumed.history) and len(full.history) == 12


def test_resume_refuses_a_different_config(tmp_path, data):
    cfg = make_config("dcgan", TINY, {"train.steps": 3})
    train(cfg, data, tmp_path, progress=False)
    with pytest.raises(ValueError, match="different config"):
        train(make_config("dcgan", TINY, {"train.steps": 3, "optim.lr_g": 1e-3}), data, tmp_path, progress=False)


def test_discriminator_loss_falls_on_tiny_overfit(tmp_path, data):
    small = data.subset(range(8))
    cfg = make_config("dcgan", TINY, {"train.steps": 60, "train.batch_size": 8})
    h = train(cfg, small, tmp_path, progress=False).history
    assert h.loss_d.iloc[-10:].mean() < 0.5 * h.loss_d.iloc[:5].mean(), h.loss_d.tolist()


def test_wgan_clip_bounds_critic_weights(tmp_path, data):
    cfg = make_config("wgan", TINY, {"train.steps": 3, "loss.clip": 0.005})
    r = train(cfg, data, tmp_path, progress=False)
    assert max(p.abs().max().item() for p in r.nets["D"].parameters()) <= 0.005 + 1e-9


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_trains_and_samples(tmp_path, data, variant):
    small_sg = {"model.stylegan.channel_base": 256, "model.stylegan.channel_max": 32, "model.z_dim": 32,
                "model.stylegan.w_dim": 32, "model.stylegan.map_layers": 2}
    cfg = make_config(variant, TINY, small_sg if variant.startswith("stylegan") else {}, {"train.steps": 2})
    r = train(cfg, data, tmp_path, progress=False)
    assert r.steps == 2 and torch.isfinite(torch.tensor(r.history[["loss_d", "loss_g"]].values)).all()
    assert (tmp_path / "samples_000002.png").exists() and (tmp_path / "config.json").exists()


def test_resume_never_passes_off_a_longer_run_as_a_shorter_one(tmp_path, data):
    train(make_config("dcgan", TINY, {"train.steps": 4}), data, tmp_path, progress=False)
    with pytest.raises(ValueError, match="holds 4 steps, more than the 3"):
        train(make_config("dcgan", TINY, {"train.steps": 3}), data, tmp_path, progress=False)
    # evaluation settings do not make it another run: the finished run is reused
    r = train(make_config("dcgan", TINY, {"train.steps": 4, "eval.n_samples": 7}), data, tmp_path, progress=False)
    assert r.steps == 4 and len(r.history) == 4


def test_one_g_forward_per_step_when_n_critic_is_one(tmp_path, data, monkeypatch):
    "As pytorch/examples: the D step's fake (G run with its graph) is the G step's fake; WGAN (5 critic steps) runs G 6 times."
    import anime_gan.train as T
    counts, build = {}, T.build_models
    def counting(*a, **k):
        nets = build(*a, **k)
        nets["G"].register_forward_hook(lambda m, i, o: counts.__setitem__(k_, counts.get(k_, 0) + 1))
        return nets
    monkeypatch.setattr(T, "build_models", counting)
    for k_, variant, extra in (("one", "dcgan", {}), ("two", "dcgan", {"train.one_forward": False}), ("wgan", "wgan", {})):
        r = train(make_config(variant, TINY, {"train.steps": 4, "train.sample_every": 100}, extra), data, tmp_path / k_,
                  progress=False)
        assert r.steps == 4 and torch.isfinite(torch.tensor(r.history.loss_g.values)).all()
    assert counts == {"one": 4 + 1, "two": 8 + 1, "wgan": 4 * 6 + 1}, counts      # + 1: the final sample grid


def test_fp16_with_gradient_scalers_learns_and_resumes_exactly(tmp_path, data, monkeypatch):
    "The path older CUDA GPUs take (fp16 autocast + a GradScaler per network), run on the CPU: it learns, resumes exactly."
    monkeypatch.setattr("anime_gan.train.precision", lambda dev, amp=True: "fp16")
    small = data.subset(range(8))
    cfg = make_config("dcgan", TINY, {"train.steps": 60, "train.batch_size": 8, "train.ckpt_every": 1000})
    full = train(cfg, small, tmp_path / "full", progress=False)
    h = full.history
    assert h.loss_d.iloc[-10:].mean() < 0.5 * h.loss_d.iloc[:5].mean(), h.loss_d.tolist()
    scalers = load_checkpoint(tmp_path / "full" / "checkpoint.pt")["scalers"]
    assert scalers["D"]["scale"] > 0 and scalers["G"]["scale"] > 0        # enabled scalers, their state checkpointed
    train(cfg, small, tmp_path / "part", stop_after=25, progress=False)
    resumed = train(cfg, small, tmp_path / "part", progress=False)
    assert _states_equal(full, resumed) is None and full.history.equals(resumed.history)


def test_no_host_sync_per_step(tmp_path, data, monkeypatch):
    """The loop reads its logged values back to the host every FLUSH_EVERY steps (and at checkpoints), not every step.
    Counted: `.item()` / `.tolist()` called from anime_gan's code (torch's Adam reads its step counter, a CPU tensor on any
    device, which is no device sync)."""
    from anime_gan.train import FLUSH_EVERY
    calls = []
    def counted(name, orig):
        def f(self, *a):
            caller = sys._getframe(1).f_code.co_filename
            if f"{os.sep}anime_gan{os.sep}" in caller: calls.append(f"{name} in {os.path.basename(caller)}")
            return orig(self, *a)
        return f
    for name in ("item", "tolist"): monkeypatch.setattr(torch.Tensor, name, counted(name, getattr(torch.Tensor, name)))
    steps = 2 * FLUSH_EVERY + 7
    r = train(make_config("dcgan", TINY, {"train.steps": steps, "train.ckpt_every": 1000}), data, tmp_path, progress=False)
    assert len(r.history) == steps and r.history.step.tolist() == list(range(1, steps + 1))   # every step still logged
    monkeypatch.undo()
    assert len(calls) <= 3, calls                                            # at steps 50, 100 and the end


def test_ema_foreach_update_equals_the_per_parameter_lerp():
    from anime_gan.train import EMA
    G = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    ema = EMA(G, 0.9)
    with torch.no_grad():
        for p in G.parameters(): p.add_(1.0)
    want = [pe.detach().lerp(p.detach(), 0.1) for pe, p in zip(ema.G.parameters(), G.parameters())]
    ema.update(G, 0)
    assert all(torch.equal(a, b) for a, b in zip(ema.G.parameters(), want))


def test_resume_on_another_device_type_warns(tmp_path, data):
    "Bit-exact resume holds on one device type; a run moved between CPU and GPU says that it will not be bit-identical."
    import json as _json
    from anime_gan.safety import save_checkpoint
    cfg = make_config("dcgan", TINY, {"train.steps": 4})
    train(cfg, data, tmp_path, stop_after=2, progress=False)
    st = load_checkpoint(tmp_path / "checkpoint.pt")
    st["sessions"][-1]["device"] = "cuda: NVIDIA H100"                     # as if its first session ran on a GPU
    save_checkpoint(st, tmp_path / "checkpoint.pt")
    with pytest.warns(UserWarning, match="not be bit-identical"):
        r = train(cfg, data, tmp_path, progress=False)
    assert r.steps == 4 and _json.loads(st["config"])["train"]["steps"] == 4
