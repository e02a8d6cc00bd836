"StyleGAN2 (issue 4): the blocks against reference formulations and closed forms, mixing, truncation, growth, resume."
import os, signal, subprocess, sys, textwrap
import pytest, torch
from anime_gan.config import make_config
from anime_gan.stylegan import (modulated_conv2d, modulated_conv2d_grouped, StyleGenerator, StyleDiscriminator, StyleLayer,
                                AdaINLayer, ToRGB, average_image, n_ws, style_bands)
from anime_gan.losses import r1_penalty, path_lengths, path_length_penalty
from anime_gan.latent import WEncoder, mix_bands
from anime_gan.train import train

SMALL = {"model.z_dim": 32, "model.stylegan.w_dim": 32, "model.stylegan.map_layers": 2, "model.stylegan.channel_base": 256,
         "model.stylegan.channel_max": 32}


@pytest.mark.parametrize("demod", [True, False])
def test_modulated_conv_equals_grouped_reference(demod):
    g = torch.Generator().manual_seed(0)
    x, w, s = torch.randn(4, 16, 9, 9, generator=g), torch.randn(24, 16, 3, 3, generator=g), torch.randn(4, 16, generator=g)
    torch.testing.assert_close(modulated_conv2d(x, w, s, demod), modulated_conv2d_grouped(x, w, s, demod), rtol=1e-4, atol=1e-4)
    # and against a per-sample loop: one plainly modulated kernel per sample
    for b in range(4):
        k = w * s[b][None, :, None, None]
        if demod: k = k / k.square().sum([1, 2, 3], keepdim=True).add(1e-8).sqrt()
        y = torch.nn.functional.conv2d(x[b:b + 1], k, padding=1)
        torch.testing.assert_close(modulated_conv2d(x, w, s, demod)[b:b + 1], y, rtol=1e-4, atol=1e-4)


def test_demodulation_gives_unit_variance_whatever_the_style():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(8, 64, 32, 32, generator=g)
    for scale in (0.01, 1.0, 100.0):
        y = modulated_conv2d(x, torch.randn(64, 64, 3, 3, generator=g), torch.rand(8, 64, generator=g) * scale + 1e-3)
        assert abs(y.std().item() - 1) < 0.1, (scale, y.std())
    y = modulated_conv2d(x, torch.randn(64, 64, 3, 3, generator=g), torch.ones(8, 64) * 100, demodulate=False)
    assert y.std() > 50                                     # without demodulation the style's scale passes through


def test_r1_penalty_value_and_gradient_match_closed_form():
    torch.manual_seed(0)
    # D(x) = Σ a·x² / 2  ⇒ ∇ₓD = a·x, R1 = E‖a·x‖², ∂R1/∂a = E[2 a x²] (summed over pixels)
    a = torch.randn(3, 4, 4, requires_grad=True)
    D = lambda x: (a * x.square() / 2).sum([1, 2, 3])
    x = torch.randn(5, 3, 4, 4)
    pen, _ = r1_penalty(D, x)
    torch.testing.assert_close(pen, (a * x).square().sum([1, 2, 3]).mean())
    pen.backward()
    torch.testing.assert_close(a.grad, (2 * a * x.square()).mean(0).detach())


def test_path_length_penalty_gradient_matches_finite_differences():
    torch.manual_seed(0)
    A = torch.randn(3 * 4 * 4, 6, dtype=torch.double, requires_grad=True)
    y = torch.randn(2, 3, 4, 4, dtype=torch.double)
    def pen(A):
        ws = torch.randn(2, 3, 6, dtype=torch.double, generator=torch.Generator().manual_seed(1)).requires_grad_(True)
        img = torch.tanh(ws.sum(1) @ A.T).reshape(2, 3, 4, 4)          # a non-linear "generator"
        return path_length_penalty(path_lengths(img, ws, y), torch.zeros((), dtype=torch.double), 0.0)
    assert torch.autograd.gradcheck(pen, (A,))


def _affine_inputs(G):
    seen = []
    layers = [m for m in G.synthesis.modules() if isinstance(m, (StyleLayer, AdaINLayer, ToRGB))]
    record = lambda mod, inp, out: seen.append(inp[0].detach().clone())
    hooks = [m.affine.register_forward_hook(record) for m in layers if m.affine is not None]
    return seen, hooks


@pytest.mark.parametrize("k", [1, 4, 7])
def test_style_mixing_uses_w2_exactly_from_layer_k(k):
    torch.manual_seed(0)
    G = StyleGenerator(32, 32, 32, 2, 256, 32).eval()
    z1, z2 = torch.randn(2, 32), torch.randn(2, 32)
    with torch.no_grad():
        w1, w2 = G.mapping(z1), G.mapping(z2)
        seen, hooks = _affine_inputs(G)
        G.synthesis(G.ws(z1, z2=z2, mix_at=k))
    for h in hooks: h.remove()
    # synthesis reads ws in layer order: conv0 (w0), rgb0 (w1), then per block conv (w2b-1), conv (w2b), rgb (w2b+1)
    order = [0, 1] + [i for b in range(1, n_ws(32) // 2) for i in (2 * b - 1, 2 * b, 2 * b + 1)]
    assert len(seen) == len(order)
    for i, w in zip(order, seen):
        torch.testing.assert_close(w, w2 if i >= k else w1, msg=f"layer reading w[{i}] with cutoff {k}")


def test_truncation_psi_zero_is_the_average_image_and_cutoff_limits_it():
    torch.manual_seed(0)
    G = StyleGenerator(32, 32, 32, 2, 256, 32)
    G(torch.randn(64, 32))
    G.eval()                            # training forward: w_avg moves off zero
    z = torch.randn(4, 32)
    with torch.no_grad():
        img = G(z, psi=0)
        for i in range(4): torch.testing.assert_close(img[i:i + 1], average_image(G))
        ws = G.ws(z, psi=0, cutoff=3)
        torch.testing.assert_close(ws[:, :3], G.mapping.w_avg.expand(4, 3, -1))
        torch.testing.assert_close(ws[:, 3:], G.mapping(z)[:, None].expand(-1, ws.shape[1] - 3, -1))


def test_progressive_growth_shows_low_resolution_early_and_full_resolution_late():
    torch.manual_seed(0)
    G = StyleGenerator(32, 32, 32, 2, 256, 32, adain=True, progressive=True, grow_steps=10, start_res=8).eval()
    D = StyleDiscriminator(32, 256, 32, residual=False, progressive=True, grow_steps=10, start_res=8)
    z = torch.randn(2, 32)
    with torch.no_grad():
        G.on_step(0)
        img = G(z)                                  # 8² upsampled by nearest: 4×4 constant blocks
        assert torch.equal(img, img[:, :, ::4, ::4].repeat_interleave(4, 2).repeat_interleave(4, 3))
        G.on_step(10**6)
        img = G(z)
        assert not torch.equal(img, img[:, :, ::2, ::2].repeat_interleave(2, 2).repeat_interleave(2, 3))
        D.on_step(0)
        x = torch.randn(2, 3, 32, 32)             # D at 8²: sees only the 8² average
        blur = torch.nn.functional.avg_pool2d(x, 4).repeat_interleave(4, 2).repeat_interleave(4, 3)
        torch.testing.assert_close(D(x), D(blur))


def test_encoder_is_five_conv_layers_image_to_w():
    E = WEncoder(48, 8)
    for r in (32, 64, 128): assert E(torch.randn(3, 3, r, r)).shape == (3, 48)
    assert sum(isinstance(m, torch.nn.Module) and m.__class__.__name__ == "EqualConv2d" for m in E.modules()) == 5


def test_style_bands_partition_the_ws():
    for res in (64, 128, 256, 512):
        b = style_bands(res)
        idx = sorted(i for r in b.values() for i in r)
        assert idx == list(range(n_ws(res))) and list(b) == ["coarse", "middle", "fine"]
    a, c = torch.zeros(1, n_ws(64), 4), torch.ones(1, n_ws(64), 4)
    assert mix_bands(a, c, "fine", 64)[0, :, 0].tolist() == [0] * 8 + [1] * 2


KILLER = textwrap.dedent("""
    import os, signal, sys
    from anime_gan.config import make_config
    from anime_gan.data import prepare, DataCfg
    from anime_gan.train import train
    cfg = make_config(sys.argv[2], {small!r}, {{"train.steps": 10, "train.batch_size": 8, "train.ckpt_every": 3,
                                                "model.stylegan.grow_steps": 3, "loss.r1_every": 2, "loss.pl_every": 2}})
    data = prepare(DataCfg(n_procedural=64, resolution=32), verbose=False)
    def die(step, logs):
        if step == 8: os.kill(os.getpid(), signal.SIGKILL)
    train(cfg, data, sys.argv[1], callback=die, progress=False)
""")


@pytest.mark.parametrize("variant", ["stylegan-b", "stylegan-a"])
def test_stylegan_killed_run_resumes_to_identical_result(tmp_path, data, variant):
    "Through the one loop: lazy R1 + path length (b) and progressive growing (a) resume exactly after a kill."
    script = tmp_path / "killer.py"
    script.write_text(KILLER.format(small=SMALL))
    p = subprocess.run([sys.executable, str(script), str(tmp_path / "killed"), variant], env=os.environ.copy())
    assert p.returncode == -signal.SIGKILL
    cfg = make_config(variant, SMALL, {"train.steps": 10, "train.batch_size": 8, "train.ckpt_every": 3,
                                       "model.stylegan.grow_steps": 3, "loss.r1_every": 2, "loss.pl_every": 2})
    resumed = train(cfg, data, tmp_path / "killed", progress=False)
    full = train(cfg, data, tmp_path / "full", progress=False)
    for k in full.nets:
        for (n, x), (_, y) in zip(full.nets[k].state_dict().items(), resumed.nets[k].state_dict().items()):
            assert torch.equal(x, y), f"{k}.{n}"
    assert full.history.equals(resumed.history)
    h = full.history
    assert (h.r1[::2] > 0).all() and (h.r1[1::2] == 0).all()          # lazy: every 2nd D step here, logged where computed
    if variant == "stylegan-b": assert (h.pl_mean > 0).iloc[-1]
    if variant == "stylegan-a": assert full.nets["G"].synthesis.stage.item() == 3.0     # grown to 32² by step 10


def test_ema_rampup_keeps_the_average_close_to_the_trained_generator_in_short_runs(tmp_path, data):
    "With decay 0.999 alone, 10 steps would leave the EMA generator ~99 % at its random init; the ramp-up must not."
    cfg = make_config("stylegan-b", SMALL, {"train.steps": 10, "train.batch_size": 8})
    r = train(cfg, data, tmp_path / "ramp", progress=False)
    init = train(make_config("stylegan-b", SMALL, {"train.steps": 0, "train.batch_size": 8}), data, tmp_path / "init",
                 progress=False)
    flat = lambda m: torch.cat([p.detach().flatten() for p in m.parameters()])
    g, ema, g0 = flat(r.nets["G"]), flat(r.G), flat(init.nets["G"])
    assert (ema - g).norm() < 0.3 * (g0 - g).norm()
    assert cfg.train.ema_rampup == 0.05 and make_config("dcgan").train.ema_rampup == 0.0
