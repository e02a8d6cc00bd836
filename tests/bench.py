"""Benchmark (not a test): where the 2-core budget goes, as ratios against peers run back to back in one process.

    python tests/bench.py [--device auto] [--main-py PATH/TO/pytorch-examples/dcgan/main.py] [--folder DIR]
    make bench                      # the same, defaults; writes papers_results/bench/<device>.md

1. DCGAN 64² (widths 64, batch 64): the library's training loop against a bare pytorch/examples-style step
   (same networks, same batch, float32, NCHW, one fake per step, data in memory): real images/s and their ratio;
   and the loop's speed switches (bf16 autocast, channels_last) each against the default.
2. With `--main-py`: wall time of `anime-gan train` against pytorch/examples' own `dcgan/main.py` on the same
   folder for the same steps (main.py is not shipped: it is pytorch/examples' code; clone it to compare).
3. `anime-gan fid A B` against `python -m pytorch_fid A B` on the same two folders, wall time and FID; and
   FID features alone: our Inception (BatchNorm folded, channels_last, inference mode, batch 16) against
   pytorch-fid's `InceptionV3` as `python -m pytorch_fid` runs it (`get_activations`, batch 50, its default
   data-loader workers), on the same folder: images/s, their ratio, and the two FIDs.
4. StyleGAN2 (b) seconds per kimg at 64² and 256² through the library loop (R1 and path length inside the window).
Throughput is real images shown to D per second (the kimg convention). Each timed pair runs A B A B; medians.
"""
import argparse, datetime, hashlib, os, platform, re, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import torch, torchvision
from anime_gan.config import make_config, override
from anime_gan.data import prepare, DataCfg, to_float
from anime_gan.losses import d_loss, g_loss
from anime_gan.metrics import features, get_inception, image_files, stats, frechet_distance
from anime_gan.models import build_models
from anime_gan.train import train
from anime_gan.env import pick_device, device_name, git_sha, repo_root, bf16_native

ROOT = repo_root()


def bare_step_ips(cfg, images, dev, steps):
    "The pytorch/examples DCGAN step and nothing else (NCHW, one fake reused by D and G): real images/s."
    nets = {k: v.to(dev) for k, v in build_models(cfg.model, 64).items()}
    G, D = nets["G"], nets["D"]
    og = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    x, bs = images.to(dev), cfg.train.batch_size
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
    step(0)
    t = time.perf_counter()
    for i in range(steps): step(i)
    if dev.type == "cuda": torch.cuda.synchronize()
    return steps * bs / (time.perf_counter() - t)


def loop_ips(cfg, data):
    "The library loop's real images/s (after a 2-step warm-up run)."
    with tempfile.TemporaryDirectory() as d:
        train(override(cfg, {"train.steps": 2}), data, f"{d}/warm", progress=False)
        return train(cfg, data, f"{d}/run", progress=False).images_per_second


def ab(fa, fb, reps=2):
    "Run fa, fb alternately `reps` times; medians of each."
    ra, rb = [], []
    for _ in range(reps):
        ra.append(fa())
        rb.append(fb())
    return statistics.median(ra), statistics.median(rb)


def wall(cmd, **kw):
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode: raise RuntimeError(f"{cmd[:3]} failed:\n{r.stderr[-2000:]}")
    return time.perf_counter() - t


def vs_main_py(main_py, folder, steps, dev):
    "Wall seconds of `anime-gan train` and of pytorch/examples' main.py, same folder, same steps (epochs of 64)."
    n = len([f for f in Path(folder).rglob("*") if f.is_file()])
    epochs = max(1, round(steps * 64 / n))
    steps = epochs * (n // 64)
    root = Path(folder).parent if Path(folder).parent.name else Path(folder)   # ImageFolder wants root/class/*.jpg
    with tempfile.TemporaryDirectory() as d:
        ours = lambda: wall([sys.executable, "-m", "anime_gan.cli", "train", "--model", "dcgan", "--data", str(folder),
                             "--steps", str(steps), "--out", f"{d}/ours{time.time_ns()}", "--quiet", "--device", str(dev)])
        theirs = lambda: wall([sys.executable, str(main_py), "--dataset", "folder", "--dataroot", str(root),
                               "--niter", str(epochs), "--outf", d] + (["--accel"] if dev.type == "cuda" else []), cwd=d)
        return (*ab(ours, theirs), steps)


def inception_vs_pytorch_fid(folder, dev):
    "Images/s of our features and of pytorch-fid's get_activations (batch 50, its default workers) on `folder`; both FIDs."
    from pytorch_fid import fid_score as pfs
    inc, files = get_inception(dev), image_files(folder)
    workers = min(len(os.sched_getaffinity(0)), 8) if hasattr(os, "sched_getaffinity") else min(os.cpu_count(), 8)
    half = len(files) // 2
    out = {}
    def ours():
        t = time.perf_counter()
        out["ours"] = features(folder, dev)
        return len(files) / (time.perf_counter() - t)
    def theirs():
        t = time.perf_counter()
        out["theirs"] = pfs.get_activations(files, inc.net, 50, 2048, str(dev), num_workers=workers)
        return len(files) / (time.perf_counter() - t)
    a, b = ab(ours, theirs)
    fid = {k: frechet_distance(stats(f[:half]), stats(f[half:]), "pytorch-fid") for k, f in out.items()}
    return a, b, workers, fid, half


def fid_cli_vs_pytorch_fid(a, b, tmp, dev):
    "Wall seconds of `anime-gan fid A B` (no statistics cached) and of `python -m pytorch_fid A B` (its defaults), both FIDs."
    from anime_gan.metrics import fid_weights, PYTORCH_FID_FILE, CONVERTED_FILE
    hub = Path(tmp, "torch_home", "hub", "checkpoints")          # our weights file where pytorch-fid looks for its own
    hub.mkdir(parents=True, exist_ok=True)
    if not (hub / PYTORCH_FID_FILE).exists(): (hub / PYTORCH_FID_FILE).symlink_to(fid_weights()[0])
    def fresh():                                                  # a new cache each run: nothing cached but the weights
        cache = Path(tmp, f"cache{time.time_ns()}")
        (cache / "fid").mkdir(parents=True)
        (cache / "fid" / CONVERTED_FILE).symlink_to(fid_weights()[0])
        return {"ANIME_GAN_CACHE": str(cache)}
    out = {}
    def run(name, cmd, env):
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env})
        if r.returncode: raise RuntimeError(f"{name} failed:\n{r.stderr[-2000:]}")
        out[name] = float(r.stdout.strip().splitlines()[-1].split()[1])
        return time.perf_counter() - t
    ours = lambda: run("ours", [sys.executable, "-m", "anime_gan.cli", "fid", str(a), str(b), "--device", str(dev)], fresh())
    theirs = lambda: run("pytorch-fid", [sys.executable, "-m", "pytorch_fid", str(a), str(b), "--device", str(dev)],
                         {"TORCH_HOME": str(Path(tmp, "torch_home"))})
    return (*ab(ours, theirs), out)


def stylegan_s_per_kimg(res, dev, base, cmax, batch, steps):
    "Seconds per thousand real images, StyleGAN2 (b) through the library loop (R1, path length, mixing, EMA on)."
    data = prepare(DataCfg(source="procedural:figures", n_procedural=max(64, 2 * batch), resolution=res), verbose=False)
    cfg = make_config("stylegan-b", {"model.stylegan.channel_base": base, "model.stylegan.channel_max": cmax,
                                     "train.batch_size": batch, "train.device": str(dev), "train.ckpt_every": 10**9,
                                     "train.sample_every": 10**9, "loss.r1_every": 4, "loss.pl_every": 4})
    with tempfile.TemporaryDirectory() as d:
        train(override(cfg, {"train.steps": 4}), data, f"{d}/warm", progress=False)
        r = train(override(cfg, {"train.steps": steps}), data, f"{d}/run", progress=False)
    return r.seconds / (steps * batch / 1000)


def procedural_folder(n, d):
    x = prepare(DataCfg(n_procedural=n, resolution=64), verbose=False).images
    for i, im in enumerate(x): torchvision.io.write_png(im, f"{d}/{i:05d}.png")
    return Path(d)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="auto")
    p.add_argument("--steps", type=int, default=12, help="timed DCGAN steps per run")
    p.add_argument("--main-py", help="pytorch/examples' dcgan/main.py, to compare wall time with")
    p.add_argument("--folder", help="a folder of images for the main.py and Inception comparisons (default: procedural)")
    p.add_argument("--main-steps", type=int, default=96, help="steps of each main.py / anime-gan train run")
    p.add_argument("--n-fid", type=int, default=200, help="images for the Inception comparison")
    p.add_argument("--out", default=None, help="markdown file (default papers_results/bench/<device>.md)")
    a = p.parse_args()
    dev = pick_device(a.device)
    lines, t0, sha = [], time.time(), git_sha(ROOT)           # the code measured: taken before anything can change
    def say(s):
        print(s, flush=True)
        lines.append(s)
    say(f"device: {device_name(dev)}")
    data = prepare(DataCfg(n_procedural=1024, resolution=64), verbose=False)
    cfg = make_config("dcgan", {"train.batch_size": 64, "train.steps": a.steps, "train.device": str(dev),
                                "train.ckpt_every": 10**9, "train.sample_every": 10**9, "data.augment": ()})
    ours, bare = ab(lambda: loop_ips(cfg, data), lambda: bare_step_ips(cfg, data.images, dev, a.steps))
    say(f"- DCGAN 64², widths {cfg.model.dcgan.g_width}, batch 64: library loop {ours:,.1f} real img/s, bare "
        f"pytorch/examples-style step {bare:,.1f}; **ratio library/bare {ours / bare:.2f}** (> 1: faster)")
    for name, over in {"float32 (train.amp=false)": {"train.amp": False},
                       "NCHW (train.channels_last=false)": {"train.channels_last": False}}.items():
        default, v = ab(lambda: loop_ips(cfg, data), lambda: loop_ips(override(cfg, over), data))
        say(f"- DCGAN 64² loop, default (bf16 autocast {'on' if bf16_native(dev) else 'off: not native here'}, "
            f"channels_last) {default:,.1f} real img/s vs {name} {v:,.1f}; **ratio default/{name.split()[0]} {default / v:.2f}**")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(a.folder) if a.folder else procedural_folder(max(a.n_fid, 1024), tmp)
        if a.main_py:
            o, m, steps = vs_main_py(a.main_py, folder, a.main_steps, dev)
            say(f"- `anime-gan train --model dcgan` vs pytorch/examples `dcgan/main.py`, {steps} steps of 64 on "
                f"{folder.name}/: {o:,.1f} s vs {m:,.1f} s wall; **ratio ours/main.py {o / m:.2f}** (< 1: faster); main.py "
                f"sha256 {hashlib.sha256(Path(a.main_py).read_bytes()).hexdigest()[:16]}")
        else: say("- wall time against pytorch/examples `dcgan/main.py`: not measured (pass --main-py PATH)")
        sub = Path(tmp, "fid")
        sub.mkdir()
        for f in image_files(folder)[: a.n_fid]: (sub / f.name).symlink_to(f.resolve())
        two = [Path(tmp, "A"), Path(tmp, "B")]
        files = image_files(folder)
        for d, part in zip(two, (files[: a.n_fid], files[a.n_fid: 2 * a.n_fid])):
            d.mkdir()
            for f in part: (d / f.name).symlink_to(f.resolve())
        o, t, fids = fid_cli_vs_pytorch_fid(*two, tmp, dev)
        say(f"- `anime-gan fid A B` vs `python -m pytorch_fid A B`, {a.n_fid} vs {a.n_fid} images of {folder.name}/ "
            f"(nothing cached): {o:,.1f} s vs {t:,.1f} s wall; **ratio ours/pytorch-fid {o / t:.2f}**; FID {fids['ours']:.4f} vs "
            f"{fids['pytorch-fid']:.4f}")
        io, it, workers, fids, half = inception_vs_pytorch_fid(sub, dev)
        say(f"- FID features on {a.n_fid} images of {folder.name}/: ours {io:,.2f} img/s, pytorch-fid `get_activations` "
            f"(batch 50, {workers} workers) {it:,.2f} img/s; **ratio of times ours/pytorch-fid {it / io:.2f}**; "
            f"FID of the two halves ({half} vs {half}): ours {fids['ours']:.5f}, pytorch-fid {fids['theirs']:.5f}, "
            f"|Δ| {abs(fids['ours'] - fids['theirs']):.1e}")
    cuda = dev.type == "cuda"
    base, cmax, batch, steps = (16384, 512, 16, 6) if cuda else (2048, 256, 8, 4)
    sg = {res: stylegan_s_per_kimg(res, dev, base, cmax, batch, steps) for res in (64, 256)}
    say(f"- StyleGAN2 (b), channel_base {base}, max {cmax}, batch {batch}, {steps} steps: 64² {sg[64]:,.1f} s/kimg, "
        f"256² {sg[256]:,.1f} s/kimg")
    slug = re.sub(r"[^a-z0-9]+", "-", device_name(dev).split(",")[0].lower()).strip("-")
    out = Path(a.out) if a.out else ROOT / "papers_results" / "bench" / f"{slug}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    prov = (f"`{' '.join(['python tests/bench.py', *sys.argv[1:]])}` · git {sha} · {datetime.date.today()} · "
            f"torch {torch.__version__} · Python {platform.python_version()} · {time.time() - t0:,.0f} s")
    out.write_text(f"# Benchmark: {device_name(dev)}\n\n" + "\n".join(lines[1:]) + f"\n\nProvenance: {prov}\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
