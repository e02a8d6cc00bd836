"""`make gpu-check`: what a GPU machine (no network, no pip; a copy of the repository on PYTHONPATH) checks and measures.

    PYTHONPATH=. python tests/gpu_check.py [--minutes 8] [--out papers_results/bench]

1. The tests marked `gpu` (tests/test_gpu.py: a few steps of each architecture agree with the CPU, bf16 and fp16 train, a GPU
   checkpoint reads on the CPU, DDP over NCCL at world size 1) — with pytest where it is installed, else by a small runner
   that calls the same functions.
2. Seconds per kimg through the library loop on this GPU: DCGAN 64² (widths 64, batch 128) and StyleGAN2 (b) at 64² and
   256² (R1 and path length inside the timed window), each after a warm-up, written with the device, its precision, torch
   and the commit to `<out>/<gpu>.md` beside the CPU bench, and printed.
Exit status: 0 when every check passed, 1 when one failed, 2 without a CUDA device (nothing measured).
The training path imports no scipy, tqdm, pytorch-fid or notebook tools (tests/test_hardening.py checks it), which such a
machine may lack. FID scoring needs the Inception weights (≈ 87 MB), which do not travel: score the returned generators on
a CPU machine.
"""
import argparse, datetime, inspect, re, sys, tempfile, traceback
from pathlib import Path
import torch
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from anime_gan.config import make_config                                  # noqa: E402
from anime_gan.data import prepare, DataCfg                               # noqa: E402
from anime_gan.env import pick_device, device_name, git_sha, precision    # noqa: E402
from anime_gan.train import train                                         # noqa: E402

BENCH = {   # label: (variant, resolution, overrides, timed steps)
    "DCGAN 64² (widths 64, batch 128)": ("dcgan", 64, {"model.dcgan.g_width": 64, "model.dcgan.d_width": 64,
                                                      "train.batch_size": 128}, 60),
    "StyleGAN2 (b) 64² (batch 32)": ("stylegan-b", 64, {"train.batch_size": 32}, 40),
    "StyleGAN2 (b) 256² (batch 32)": ("stylegan-b", 256, {"train.batch_size": 32}, 20),
}


def _pytest_shim():
    "Just enough of pytest for test_gpu.py and conftest.py to import where pytest is not installed."
    import types
    shim = types.ModuleType("pytest")
    def parametrize(name, values):
        def deco(fn):
            fn.params = (name, values)
            return fn
        return deco
    shim.mark = types.SimpleNamespace(gpu=None, parametrize=parametrize)
    shim.fixture = lambda *a, **kw: (lambda fn: fn)
    def skip(reason=""): raise RuntimeError(f"skipped: {reason}")
    shim.skip = skip
    sys.modules["pytest"] = shim


def run_gpu_tests() -> list:
    "The `gpu` tests: pytest when installed; else each test function of test_gpu.py called with its fixtures. Failures."
    try:
        import pytest
        return [] if pytest.main(["-q", "-m", "gpu", str(ROOT / "tests" / "test_gpu.py")]) == 0 else ["pytest -m gpu"]
    except ImportError: _pytest_shim()
    import test_gpu
    failed = []
    data = prepare(DataCfg(n_procedural=64, resolution=32), verbose=False)
    for name, fn in inspect.getmembers(test_gpu, inspect.isfunction):
        if not name.startswith("test_"): continue
        params = getattr(fn, "params", None)
        for value in (params[1] if params else [None]):
            with tempfile.TemporaryDirectory() as d:
                kw = {"tmp_path": Path(d), "data": data, **({params[0]: value} if params else {})}
                kw = {k: v for k, v in kw.items() if k in inspect.signature(fn).parameters}
                try:
                    fn(**kw)
                    print(f"ok     {name}{'' if value is None else f'[{value}]'}", flush=True)
                except Exception:
                    failed.append(f"{name}[{value}]")
                    print(f"FAILED {name}[{value}]\n{traceback.format_exc()}", flush=True)
    return failed


def seconds_per_kimg(variant: str, res: int, over: dict, steps: int, dev) -> dict:
    """Library loop, `steps` timed steps after a warm-up of 5 (growth, compile and cuDNN autotuning settle there): the
    warm-up is one session, the timed steps a resumed one, whose images per second the loop reports (no callback, so
    the loop reads its values back as it does in a real run, not every step)."""
    cfg = make_config(variant, {"data.resolution": res, "train.device": str(dev), "train.ckpt_every": 10**9,
                                "train.sample_every": 10**9, **over}, {"train.steps": 5 + steps})
    data = prepare(DataCfg(n_procedural=max(256, cfg.train.batch_size * 2), resolution=res), verbose=False)
    with tempfile.TemporaryDirectory() as d:
        train(cfg, data, d, stop_after=5, progress=False)
        r = train(cfg, data, d, progress=False)
    s = 1000 / r.images_per_second
    return {"s/kimg": s, "img/s": r.images_per_second, "batch": cfg.train.batch_size, "steps": steps}


def main(argv=None) -> int:
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("--out", default=str(ROOT / "papers_results" / "bench"))
    a.add_argument("--device", default="cuda", help="cuda (the point); cpu only to try the script itself")
    a.add_argument("--skip-tests", action="store_true")
    a.add_argument("--scale", type=float, default=1.0, help="timed steps × this (a quick try: 0.1)")
    args = a.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu-check: no CUDA device here; run it on a GPU machine (`make gpu-check`)", file=sys.stderr)
        return 2
    dev = pick_device(args.device)
    torch.backends.cudnn.benchmark = True
    head = f"{device_name(dev)} · precision {precision(dev)} · torch {torch.__version__} · commit {git_sha(ROOT)}"
    print("gpu-check:", head, flush=True)
    ran = not args.skip_tests and dev.type == "cuda"
    failed = run_gpu_tests() if ran else []
    rows = []
    for label, (variant, res, over, steps) in BENCH.items():
        r = seconds_per_kimg(variant, res, over, max(2, int(steps * args.scale)), dev)
        rows.append(f"| {label} | {r['batch']} | {r['steps']} | {r['s/kimg']:.2f} | {r['img/s']:.0f} |")
        print(rows[-1], flush=True)
    name = re.sub(r"[^A-Za-z0-9]+", "-", device_name(dev).split(":", 1)[-1].strip()).strip("-").lower()
    out = Path(args.out) / f"{'gpu' if dev.type == 'cuda' else 'cpu-try'}-{name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join([
        f"# GPU check: {device_name(dev)}", "",
        f"{head}; {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; `make gpu-check`", "",
        f"gpu tests: {('passed' if not failed else 'FAILED: ' + ', '.join(failed)) if ran else 'not run'}", "",
        "| run (library loop, procedural data) | batch | timed steps | s/kimg | real img/s |", "|---|---|---|---|---|", *rows,
        "", "s/kimg: seconds per 1,000 real images shown to D, after 5 warm-up steps; cuDNN autotuning on"]) + "\n")
    print(f"gpu-check: wrote {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
