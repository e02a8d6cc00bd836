"Blocks and measures of papers 1 and 2: SRGAN, DiffAugment in the loop, memorisation on real features, grouped/labelled data."
import pytest, torch
from conftest import shared, TINY
from anime_gan.config import make_config
from anime_gan.data import prepare, DataCfg, group_by_folder, read_labels, labels_for, diff_augment
from anime_gan.srgan import SRResNet, SRDiscriminator, lowres, psnr, downscale, upscale, content_loss
from anime_gan.train import train
from anime_gan.analysis import memorisation, count_modes
from anime_gan.procedural import procedural_faces



@pytest.mark.parametrize("scale", [2, 4])
def test_srresnet_shapes_and_gradients(scale):
    G, D = SRResNet(scale, blocks=2, width=16), SRDiscriminator(8)
    x = torch.rand(2, 3, 8 * scale, 8 * scale) * 2 - 1
    y = G(lowres(x, scale))
    assert lowres(x, scale).shape == (2, 3, 8, 8) and y.shape == x.shape and y.abs().max() <= 1
    D(y).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in G.parameters())
    with pytest.raises(ValueError, match="power of two"): SRResNet(3)


def test_srgan_trains_in_the_one_loop_and_learns_to_upscale(tmp_path, data):
    hr = prepare(DataCfg(n_procedural=16, resolution=32), verbose=False)
    cfg = make_config("srgan", {"data.resolution": 32, "model.srgan.blocks": 2, "model.srgan.width": 16, "model.dcgan.d_width": 8,
                                "loss.content": "mse", "train.batch_size": 8, "train.steps": 80, "optim.lr_g": 1e-3})
    r = train(cfg, hr, tmp_path, progress=False)
    h = r.history
    assert "content" in h and h.content.iloc[-10:].mean() < 0.3 * h.content.iloc[:3].mean(), h.content.tolist()
    up = upscale(r.G, downscale(hr.images))
    assert up.shape == hr.images.shape and psnr(up, hr.images).mean() > 18


def test_content_loss_says_which_and_refuses_missing_vgg(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert content_loss("auto")[1] == "mse"
    with pytest.raises(FileNotFoundError, match="VGG19 weights"): content_loss("vgg")


def test_diffaugment_run_resumes_exactly(tmp_path, data):
    cfg = make_config("dcsegan", TINY, {"train.steps": 6, "data.diffaug": "color,translation,cutout",
                                        "data.augment": ("autoaugment", "color_jitter", "hue", "flip", "rotate")})
    a = train(cfg, data, tmp_path / "a", stop_after=3, progress=False)
    assert a.steps == 3
    a = train(cfg, data, tmp_path / "a", progress=False)
    b = train(cfg, data, tmp_path / "b", progress=False)
    for (n, x), (_, y) in zip(a.nets["G"].state_dict().items(), b.nets["G"].state_dict().items()): assert torch.equal(x, y), n
    assert a.history.equals(b.history)


def test_diffaugment_changes_every_d_input_differently():
    torch.manual_seed(0)
    x = torch.zeros(4, 3, 16, 16)
    y = diff_augment(x)
    assert not torch.equal(y[0], y[1])                    # per-sample randomness
    with pytest.raises(ValueError, match="unknown DiffAugment"): diff_augment(x, "color,zoom")


def test_memorisation_check_on_real_inception_features():
    from anime_gan.metrics import features
    train_imgs = procedural_faces(12, 64, seed=0)[0]
    copies = (train_imgs.int() + torch.randint(-2, 3, train_imgs.shape)).clamp(0, 255).to(torch.uint8)
    others = procedural_faces(12, 64, seed=99)[0]
    ft, fc, fo = features(train_imgs), features(copies), features(others)
    assert memorisation(fc, ft).copy_rate == 1.0                          # near-exact copies are caught
    assert memorisation(fo, ft).copy_rate <= 0.25 and memorisation(fo, ft).median_ratio > memorisation(fc, ft).median_ratio
    m = count_modes(fc, ft)
    assert m["train_images_hit"] == 12


def test_yugioh_archetypes_group_by_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIME_GAN_CACHE", str(tmp_path))
    s = prepare(DataCfg(source=str(shared("yugioh-archetypes.zip")), resolution=64), verbose=False)
    g = group_by_folder(s, ["fire_fist", "herald", "tenyi"])
    assert [len(v) for v in g.values()] == [25, 7, 11] and len(s.skipped) == 0 and s.n_other_files == 1


def test_mlds_labels_cover_every_image(tmp_path, monkeypatch):
    monkeypatch.setenv("ANIME_GAN_CACHE", str(tmp_path))
    src = shared("anime-faces-mlds-96.zip")
    df = read_labels(src)
    assert len(df) == 11418 and set(df.columns) >= {"hair", "eyes"}
    s = prepare(DataCfg(source=str(src), resolution=32), verbose=False)
    lab = labels_for(s.subset(range(500)), df, ["hair", "eyes"])
    assert len(lab["hair"][0]) == 12 and len(lab["eyes"][0]) == 11 and len(lab["hair"][1]) == 500
