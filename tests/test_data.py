"Bad input is reported file by file with its reason; good images of every mode are used."
import io, os, zipfile
import numpy as np, pytest, torch
from PIL import Image
from anime_gan.config import DataCfg, make_config
from anime_gan.data import prepare, iter_source
from anime_gan.train import train


def _png(im):
    b = io.BytesIO()
    im.save(b, "PNG")
    return b.getvalue()

def make_messy_folder(d):
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 255, (40, 50, 3), dtype=np.uint8))
    jpg = io.BytesIO()
    rgb.save(jpg, "JPEG", quality=90)
    jpg = jpg.getvalue()
    (d / "sub").mkdir()
    files = {
        "good_rgb.jpg": jpg,
        "sub/grayscale.png": _png(rgb.convert("L")),
        "palette_alpha.png": _png(_palette_alpha(rgb)),
        "cmyk.jpg": _save(rgb.convert("CMYK"), "JPEG"),
        "sixteen_bit.png": _png(Image.fromarray((rng.integers(0, 65535, (40, 40))).astype(np.uint16))),
        "zero_bytes.png": b"",
        "truncated.jpg": jpg[: len(jpg) // 2],
        "one_pixel.png": _png(Image.new("RGB", (1, 1), (9, 9, 9))),
        "not_an_image.png": b"this is a text file pretending to be a png\n",
        "notes.txt": b"ignored, not an image name",
    }
    for name, data in files.items(): (d / name).write_bytes(data)
    return files

def _save(im, fmt):
    b = io.BytesIO()
    im.save(b, fmt)
    return b.getvalue()

def _palette_alpha(rgb):
    p = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    p.info["transparency"] = 0
    return p

GOOD = {"good_rgb.jpg", "sub/grayscale.png", "palette_alpha.png", "cmyk.jpg", "sixteen_bit.png"}
BAD = {"zero_bytes.png": "empty", "truncated.jpg": "truncated", "one_pixel.png": "too small",
       "not_an_image.png": "not an image"}


def test_messy_folder_trains_on_good_and_reports_bad(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIME_GAN_CACHE", str(tmp_path / "cache"))
    d = tmp_path / "imgs"
    d.mkdir()
    make_messy_folder(d)
    s = prepare(DataCfg(source=str(d), resolution=32))
    assert set(s.names) == GOOD and s.images.shape == (5, 3, 32, 32) and s.images.dtype == torch.uint8
    reasons = dict(s.skipped)
    assert set(reasons) == set(BAD)
    for name, word in BAD.items(): assert word in reasons[name], (name, reasons[name])
    assert s.n_other_files == 1
    m = s.manifest()
    assert m["n_skipped"] == 4 and {x["file"] for x in m["skipped"]} == set(BAD)
    # grayscale stays gray, palette transparency becomes white
    g = s.images[s.names.index("sub/grayscale.png")]
    assert torch.equal(g[0], g[1]) and torch.equal(g[1], g[2])
    # and it trains
    cfg = make_config("dcgan", {"model.dcgan.g_width": 8, "model.dcgan.d_width": 8, "train.steps": 2, "train.batch_size": 4,
                                "data.resolution": 32})
    r = train(cfg, s, tmp_path / "run", progress=False)
    assert r.steps == 2 and len(r.history) == 2


def test_zip_source_equals_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIME_GAN_CACHE", str(tmp_path / "cache"))
    d = tmp_path / "imgs"
    d.mkdir()
    files = make_messy_folder(d)
    z = tmp_path / "imgs.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, data in files.items(): zf.writestr(f"imgs/{name}", data)
    a = prepare(DataCfg(source=str(d), resolution=32), use_cache=False, verbose=False)
    b = prepare(DataCfg(source=str(z), resolution=32), use_cache=False, verbose=False)
    assert torch.equal(a.images, b.images) and [f"imgs/{n}" for n in a.names] == b.names
    assert {f"imgs/{n}" for n, _ in a.skipped} == {n for n, _ in b.skipped}


def test_clear_errors_name_the_source(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"): iter_source(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no image files"): iter_source(tmp_path / "empty")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ValueError, match="neither a folder nor a .zip"): iter_source(tmp_path / "x.txt")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.png").write_bytes(b"")
    with pytest.raises(ValueError, match="none of its 1 image files"):
        prepare(DataCfg(source=str(bad), resolution=32), use_cache=False, verbose=False)


def test_cache_is_keyed_by_content(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIME_GAN_CACHE", str(tmp_path / "cache"))
    d = tmp_path / "imgs"
    d.mkdir()
    Image.new("RGB", (32, 32), (200, 0, 0)).save(d / "a.png")
    s1 = prepare(DataCfg(source=str(d), resolution=32), verbose=False)
    Image.new("RGB", (32, 32), (0, 200, 0)).save(d / "a.png")     # same name, new content
    s2 = prepare(DataCfg(source=str(d), resolution=32), verbose=False)
    assert s1.content_hash != s2.content_hash and s2.images[0, 1, 0, 0] == 200
    assert len(list((tmp_path / "cache" / "data").glob("*.pt"))) == 2


def test_real_zip_when_present(tmp_path, monkeypatch):
    from conftest import shared
    z = shared("yugioh-archetypes.zip")
    s = prepare(DataCfg(source=str(z), resolution=64), use_cache=False, verbose=False)
    assert len(s) == 43 and s.skipped == [] and s.n_other_files == 1   # archetypes.csv


def test_a_symlink_loop_is_reported_not_lost(tmp_path):
    "a.png → b.png → a.png: both names appear among the skipped files with the reason; the real image trains."
    d = tmp_path / "faces"
    d.mkdir()
    Image.fromarray(np.full((40, 40, 3), 128, np.uint8)).save(d / "real.png")
    os.symlink(d / "b.png", d / "a.png")
    os.symlink(d / "a.png", d / "b.png")
    s = prepare(DataCfg(source=str(d), resolution=32), use_cache=False, verbose=False)
    assert s.names == ["real.png"]
    skipped = dict(s.skipped)
    assert set(skipped) == {"a.png", "b.png"} and all("looping symbolic link" in r for r in skipped.values()), skipped
    assert {x["file"] for x in s.manifest()["skipped"]} == {"a.png", "b.png"}
