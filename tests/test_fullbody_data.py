"Paper 5's data: procedural full-body figures through `prepare`, and the dataset tools on real artwork when present."
import pytest, torch
from anime_gan.data import prepare, DataCfg
from anime_gan.datatools import near_duplicates, phash, hamming, clean_images
from conftest import shared


def test_procedural_figures_through_prepare_with_attributes(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIME_GAN_CACHE", str(tmp_path))
    s = prepare(DataCfg(source="procedural:figures", n_procedural=40, resolution=64), verbose=False)
    assert s.images.shape == (40, 3, 64, 64) and set(s.attrs) == {"pose", "garment", "colour", "hair"}
    assert (s.images[:, :, 0, 0] == 255).all()                              # white background, like padded artwork
    faces = prepare(DataCfg(n_procedural=40, resolution=64), verbose=False)
    assert faces.key != s.key and not torch.equal(faces.images, s.images)
    with pytest.raises(ValueError, match="unknown procedural set"):
        prepare(DataCfg(source="procedural:cats", resolution=64), verbose=False)


def test_near_duplicates_on_real_artwork(tmp_path):
    "The Pokémon artwork holds pixel-identical alternate files (e.g. 201-a.png = 201.png): the hash must pair them."
    s = prepare(DataCfg(source=str(shared("pokemon-artwork-256.zip")), resolution=128), verbose=False)
    rep = near_duplicates(s.images, s.names)
    pairs = set(zip(rep.file, rep.duplicate_of))
    assert ("pokemon-artwork-256/201.png", "pokemon-artwork-256/201-a.png") in pairs or \
           ("pokemon-artwork-256/201-a.png", "pokemon-artwork-256/201.png") in pairs
    # every exact pixel duplicate is reported (distance 0), and nothing is both kept and dropped
    flat = s.images.flatten(1)
    h = phash(s.images)
    d = hamming(h, h)
    exact = {(i, j) for i in range(len(s)) for j in range(i) if d[i, j] == 0 and torch.equal(flat[i], flat[j])}
    dropped = set(rep.file)
    assert all(s.names[i] in dropped for i, _ in exact)
    assert not (dropped & set(rep.duplicate_of))
    assert 0 < len(rep) < len(s) // 2


def test_clean_images_reports_every_file(tmp_path):
    src = shared("pokemon-artwork-256.zip")
    rep = clean_images(src, tmp_path / "clean", size=64)
    n_files = len(prepare(DataCfg(source=str(src), resolution=64), verbose=False).names)
    assert len(rep) == n_files and rep.action.notna().all()
    kept = sorted(p.name for p in (tmp_path / "clean" / "images").iterdir())
    assert len(kept) == rep.kept.sum() and (tmp_path / "clean" / "report.csv").exists()
