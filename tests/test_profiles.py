"Every profile of every paper notebook builds valid configs and networks, without training; (c) is twice (b)."
import pytest, torch
from anime_gan.config import Profile, VARIANTS
from anime_gan.models import build_models
from anime_gan.reproduce import notebook_profiles
from conftest import ROOT

PAPERS = sorted((ROOT / "nbs" / "papers").glob("*.ipynb"))


def profiles_of(nb_path) -> dict:
    "The notebook's cell tagged `profiles`, run alone (`reproduce.notebook_profiles`)."
    return notebook_profiles(nb_path)


def runs_of(ns) -> dict:
    "Every model label the notebook configures → its variant."
    return {k: v if isinstance(v, str) else v[0] for k, v in {**ns["MODELS"], **ns.get("SR", {}), **ns.get("SN", {})}.items()}


def channels(G) -> list:
    return [rgb.weight.shape[1] for rgb in G.synthesis.to_rgb]


@pytest.mark.parametrize("nb", PAPERS, ids=[p.stem for p in PAPERS])
def test_every_profile_builds_valid_configs(nb):
    ns = profiles_of(nb)
    runs = runs_of(ns)
    assert set(ns["PROFILES"]) >= {"tiny", "paper"}
    for name, P in ns["PROFILES"].items():
        assert isinstance(P, Profile)
        for key in P.models:        # a per-model entry nobody looks up would be silently ignored: it must name a model
            assert key in runs or key in VARIANTS, f"{nb.stem}/{name}: unknown per-model key {key!r}"
        for label, variant in runs.items():
            cfg = P.config(variant, 1000, name=label)
            assert cfg.train.steps >= 1 and P.budget_for(label, variant).n_eval >= 1, (name, label)
            nets = build_models(cfg.model, cfg.data.resolution)
            z = torch.randn(2, cfg.model.z_dim) if cfg.model.arch != "srgan" else torch.rand(2, 3, 16, 16) * 2 - 1
            if name == "tiny": assert nets["G"].eval()(z).shape[0] == 2


def test_stylegan_c_has_twice_b_channels_in_every_profile():
    checked = 0
    for nb in PAPERS:
        runs = runs_of(ns := profiles_of(nb))
        b = [k for k, v in runs.items() if v == "stylegan-b"]
        for c in [k for k, v in runs.items() if v == "stylegan-c"]:
            for name, P in ns["PROFILES"].items():
                cb, cc = P.config("stylegan-b", 1000, name=b[0]), P.config("stylegan-c", 1000, name=c)
                assert cb.data.resolution == cc.data.resolution
                gb, gc = (build_models(x.model, x.data.resolution)["G"] for x in (cb, cc))
                assert channels(gc) == [2 * k for k in channels(gb)], (nb.stem, name, channels(gb), channels(gc))
                checked += 1
    assert checked >= 4                       # paper 5's four profiles at least


@pytest.mark.parametrize("nb", PAPERS, ids=[p.stem for p in PAPERS])
def test_paper_profile_trains_at_its_final_resolution(nb):
    "Every model of the `paper` profile reaches its final resolution within its budget (`study.check_plan`)."
    from anime_gan.study import plan, check_plan
    ns = profiles_of(nb)
    runs = {k: v for k, v in runs_of(ns).items() if VARIANTS[v].get("model.arch", "dcgan") != "srgan"}
    problems = [p for p in check_plan(plan(runs, ns["PROFILES"]["paper"], 10_000)) if "final resolution" in p]
    assert problems == [], (nb.stem, problems)
