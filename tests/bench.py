"""Benchmark (not a test): DCGAN 64² training images/s, StyleGAN2 s/kimg at 64² and 256², and FID
feature-extraction images/s on this device.

    python tests/bench.py [--device auto] [--steps 20] [--width 64] [--batch 64] [--n-fid 200]
                          [--sg-steps 6] [--sg-batch 16] [--sg-base 16384] [--sg-max 512]

Prints absolute throughputs and, as same-process peers, the ratio of the library's training loop to a
bare DCGAN step loop (same networks, same batch) so loop overhead is visible as a number near 1, the
StyleGAN2 256²/64² cost ratio, and on CUDA bf16 autocast against fp32 for StyleGAN2 at 64².
"""
import argparse, tempfile, time
import torch
from anime_gan.config import make_config, override
from anime_gan.data import prepare, DataCfg, to_float
from anime_gan.losses import d_loss, g_loss
from anime_gan.metrics import features, get_inception
from anime_gan.models import build_models
from anime_gan.train import train
from anime_gan.env import pick_device, device_name


def bare_loop(cfg, images, dev, steps):
    "The pytorch/examples DCGAN step, nothing else: the peer the library loop is compared with."
    nets = {k: v.to(dev) for k, v in build_models(cfg.model, 64).items()}
    G, D = nets["G"], nets["D"]
    og = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    x = images.to(dev)
    bs = cfg.train.batch_size
    def step(i):
        real = to_float(x[(i * bs) % (len(x) - bs):][:bs])
        fake = G(torch.randn(bs, 100, device=dev))
        ld = d_loss("bce", D(real), D(fake.detach()))
        od.zero_grad()
        ld.backward()
        od.step()
        lg = g_loss("bce", D(fake))
        og.zero_grad()
        lg.backward()
        og.step()
        return lg.item()
    step(0)
    step(1)
    t = time.time()
    for i in range(steps): step(i)
    if dev.type == "cuda": torch.cuda.synchronize()
    return steps * bs * 2 / (time.time() - t)


def stylegan_s_per_kimg(res, dev, a, amp=True):
    "Seconds per thousand real images shown, StyleGAN2 (b) through the library loop (R1, path length, mixing, EMA on)."
    data = prepare(DataCfg(source="procedural:figures", n_procedural=max(64, 2 * a.sg_batch), resolution=res), verbose=False)
    cfg = make_config("stylegan-b", {"model.stylegan.channel_base": a.sg_base, "model.stylegan.channel_max": a.sg_max,
                                     "train.batch_size": a.sg_batch, "train.device": str(dev), "train.amp": amp,
                                     "train.ckpt_every": 10**9, "train.sample_every": 10**9,
                                     "loss.r1_every": 4, "loss.pl_every": 4})   # regularisers inside the timed window
    with tempfile.TemporaryDirectory() as d:
        train(override(cfg, {"train.steps": 4}), data, f"{d}/warm", progress=False)
        r = train(override(cfg, {"train.steps": a.sg_steps}), data, f"{d}/run", progress=False)
    return r.seconds / (a.sg_steps * a.sg_batch / 1000)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="auto")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--n-fid", type=int, default=200)
    p.add_argument("--sg-steps", type=int, default=6)
    p.add_argument("--sg-batch", type=int, default=16)
    p.add_argument("--sg-base", type=int, default=None, help="StyleGAN2 channel_base (default 16384 on CUDA, 2048 on CPU)")
    p.add_argument("--sg-max", type=int, default=None, help="StyleGAN2 channel_max (default 512 on CUDA, 256 on CPU)")
    a = p.parse_args()
    dev = pick_device(a.device)
    print(f"device: {device_name(dev)}")
    data = prepare(DataCfg(n_procedural=max(1024, 4 * a.batch), resolution=64), verbose=False)
    cfg = make_config("dcgan", {"model.dcgan.g_width": a.width, "model.dcgan.d_width": a.width, "train.batch_size": a.batch,
                                "train.steps": a.steps + 2, "train.device": str(dev), "train.ckpt_every": 10**9,
                                "train.sample_every": 10**9, "data.augment": ()})
    with tempfile.TemporaryDirectory() as d:
        train(override(cfg, {"train.steps": 2}), data, f"{d}/warm", progress=False)   # warm-up: allocator, kernels
        r = train(cfg, data, f"{d}/run", progress=False)
    bare = bare_loop(cfg, data.images, dev, a.steps)
    print(f"DCGAN 64² width {a.width} batch {a.batch}: library loop {r.images_per_second:,.0f} img/s "
          f"(incl. the first step); bare step loop {bare:,.0f} img/s; ratio library/bare = {r.images_per_second / bare:.2f}")
    cuda = dev.type == "cuda"
    # speed switches of the loop, back to back in this process, each against the default (bf16 autocast on CUDA,
    # data resident on the device as uint8 — the loop always does that)
    def ips(over):
        c = override(cfg, over)
        with tempfile.TemporaryDirectory() as d:
            train(override(c, {"train.steps": 3}), data, f"{d}/warm", progress=False)   # compile / autotune outside the window
            return train(c, data, f"{d}/run", progress=False).images_per_second
    variants = {"default": {}, "channels_last": {"train.channels_last": True}}
    if cuda: variants |= {"fp32 (no autocast)": {"train.amp": False}, "compile": {"train.compile": True},
                          "channels_last + compile": {"train.channels_last": True, "train.compile": True}}
    base = ips({})
    for name, over in variants.items():
        v = base if not over else ips(over)
        print(f"DCGAN 64² {name:>24}: {v:,.0f} training img/s; ratio to default {v / base:.2f}")
    a.sg_base = a.sg_base or (16384 if cuda else 2048)
    a.sg_max = a.sg_max or (512 if cuda else 256)
    if not cuda:
        a.sg_batch = min(a.sg_batch, 8)
        a.sg_steps = min(a.sg_steps, 4)
    sg = {res: stylegan_s_per_kimg(res, dev, a) for res in (64, 256)}
    print(f"StyleGAN2 (b) channel_base {a.sg_base} max {a.sg_max}, batch {a.sg_batch}, {a.sg_steps} steps: "
          f"64² {sg[64]:,.1f} s/kimg, 256² {sg[256]:,.1f} s/kimg; ratio 256²/64² = {sg[256] / sg[64]:.2f}")
    if cuda:
        fp32 = stylegan_s_per_kimg(64, dev, a, amp=False)
        print(f"StyleGAN2 64²: fp32 {fp32:,.1f} s/kimg vs bf16 autocast {sg[64]:,.1f} s/kimg; speed-up {fp32 / sg[64]:.2f}×")
    inc = get_inception(dev)
    x = data.images[: a.n_fid]
    features(x[:50], dev)
    t = time.time()
    features(x, dev)
    dt = time.time() - t
    print(f"FID features (pytorch-fid InceptionV3, {inc.weights_source} weights): {len(x) / dt:,.1f} img/s over {len(x)} images")


if __name__ == "__main__":
    main()
