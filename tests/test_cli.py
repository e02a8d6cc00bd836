"The console script end to end: train → sample (grid, files, seeds, truncation) → fid; help text; bad input."
import os, subprocess, sys
from PIL import Image
from fastcore.test import test_eq as eq

def cli(*args, env=None, check=True):
    r = subprocess.run([sys.executable, "-m", "anime_gan.cli", *map(str, args)], capture_output=True, text=True,
                       timeout=600, env=env or os.environ.copy())
    if check: assert r.returncode == 0, f"{args}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return r

def test_help_lists_commands_with_examples():
    out = cli("--help").stdout
    for word in ("train", "sample", "fid", "reproduce", "examples:", "torchrun"): assert word in out
    assert "--truncation" in cli("sample", "--help").stdout and "--profile" in cli("reproduce", "--help").stdout

def test_train_sample_fid(tmp_path):
    env = {**os.environ, "ANIME_GAN_CACHE": str(tmp_path / "cache")}
    run = tmp_path / "run"
    r = cli("train", "--model", "dcgan", "--steps", 4, "--batch-size", 16, "--resolution", 32, "--device", "cpu", "--quiet",
            "--set", "model.dcgan.g_width=8", "--set", "model.dcgan.d_width=8", "--set", "data.n_procedural=64",
            "--set", "data.augment=flip,color_jitter", "--out", run, env=env)
    assert "done: 4 steps" in r.stdout and (run / "checkpoint.pt").exists() and (run / "config.json").exists()
    assert '"color_jitter"' in (run / "config.json").read_text()
    cli("sample", run / "checkpoint.pt", "--seeds", "0-5", "--out", tmp_path / "grid.png", "--nrow", 3, env=env)
    assert Image.open(tmp_path / "grid.png").size == (3 * 33 + 1, 2 * 33 + 1)
    cli("sample", run / "checkpoint.pt", "--n", 12, "--truncation", 0.5, "--out", tmp_path / "fakes", env=env)
    files = sorted((tmp_path / "fakes").glob("seed*.png"))
    assert len(files) == 12 and Image.open(files[0]).size == (32, 32)
    cli("sample", run / "checkpoint.pt", "--seeds", "3", "--truncation", 0.5, "--out", tmp_path / "again", env=env)
    assert (tmp_path / "again" / "seed000003.png").read_bytes() == files[3].read_bytes()   # a seed is an image
    r = cli("fid", tmp_path / "fakes", tmp_path / "fakes", "--json", tmp_path / "fid.json")   # default FID weights cache
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("FID ")][-1]
    assert abs(float(line.split()[1])) < 1e-3 and "N = 12 vs 12" in line                    # a set against itself
    bad = cli("train", "--model", "no-such-model", "--out", tmp_path / "x", check=False, env=env)
    assert bad.returncode != 0 and "unknown model" in bad.stderr and "dcgan" in bad.stderr
    bad = cli("train", "--model", "dcgan", "--set", "train.steps=many", "--out", tmp_path / "x", check=False, env=env)
    assert bad.returncode != 0 and "train.steps=many" in bad.stderr
    bad = cli("fid", tmp_path / "grid.png", tmp_path / "fakes", check=False, env=env)
    assert bad.returncode != 0 and "grid.png" in bad.stderr and "--resolution" in bad.stderr


def test_a_hostile_zip_is_one_clear_line_not_a_traceback(tmp_path):
    import zipfile
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z: z.writestr("../../x.png", b"not really")
    r = cli("train", "--model", "dcgan", "--data", evil, "--out", tmp_path / "run", "--device", "cpu", check=False,
            env={**os.environ, "ANIME_GAN_CACHE": str(tmp_path / "cache")})
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "evil.zip" in lines[0] and "points outside the archive" in lines[0], r.stderr


def test_fid_statistics_are_cached_and_npz_is_pytorch_fid_compatible(tmp_path, monkeypatch, capsys):
    "A second run against the same reference sends ≤ half the images through Inception; --save-stats writes pytorch-fid's .npz."
    import numpy as np, torchvision
    from pytorch_fid.fid_score import compute_statistics_of_path
    from anime_gan import metrics, cli as cli_mod
    from anime_gan.procedural import procedural_faces
    real_cache = metrics.cache_dir
    monkeypatch.setattr(metrics, "cache_dir", lambda sub="": real_cache(sub) if sub != "fid_stats" else tmp_path / "stats")
    (tmp_path / "stats").mkdir()
    x, _ = procedural_faces(36, 32, seed=0)
    for name, part in (("A", x[:12]), ("B", x[12:24]), ("C", x[24:])):
        (tmp_path / name).mkdir()
        for i, im in enumerate(part): torchvision.io.write_png(im, str(tmp_path / name / f"{i}.png"))
    inc = metrics.get_inception("cpu")
    def run(*args):
        seen = inc.images_seen
        assert cli_mod.main(["fid", *map(str, args), "--device", "cpu"]) == 0
        return inc.images_seen - seen, capsys.readouterr().out.strip().splitlines()[-1]
    first, line_ab = run(tmp_path / "A", tmp_path / "B")
    second, _ = run(tmp_path / "C", tmp_path / "B")                  # new fakes, the same reference
    assert first == 24 and second <= 0.5 * first
    eq(run(tmp_path / "A", tmp_path / "B"), (0, line_ab))       # nothing new: no image through Inception
    eq(run("--save-stats", tmp_path / "B", tmp_path / "b.npz")[0], 0)
    mu, sigma = compute_statistics_of_path(str(tmp_path / "b.npz"), None, 1, 2048, "cpu")   # pytorch-fid reads it
    assert mu.shape == (2048,) and sigma.shape == (2048, 2048)
    eq(run(tmp_path / "A", tmp_path / "b.npz"), (0, line_ab))   # an .npz in place of the folder: the same numbers
    np.savez(tmp_path / "theirs.npz", mu=mu, sigma=sigma)             # pytorch-fid's own: no features, so no KID
    n, line = run(tmp_path / "A", tmp_path / "theirs.npz")
    assert n == 0 and "KID n/a" in line and line.split()[1] == line_ab.split()[1]
