"The console script end to end: train → sample (grid, files, seeds, truncation) → fid; help text; bad input."
import os, subprocess, sys
from PIL import Image

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
