"The notebooks are the source: export is in sync, notebooks are clean, README matches, papers run under papermill."
import json, shutil, subprocess, sys
from pathlib import Path
import pandas as pd
from conftest import ROOT

BIN = Path(sys.executable).parent


def test_nbdev_export_leaves_library_unchanged(tmp_path):
    for p in ("settings.ini", "nbs", "anime_gan", "pyproject.toml", "setup.py"):
        (shutil.copytree if (ROOT / p).is_dir() else shutil.copy)(ROOT / p, tmp_path / p)
    subprocess.run([str(BIN / "nbdev_export")], cwd=tmp_path, check=True)
    for f in sorted((ROOT / "anime_gan").glob("*.py")):
        assert (tmp_path / "anime_gan" / f.name).read_text() == f.read_text(), f"{f.name} differs from its notebook"
    names = lambda d: sorted(p.name for p in (d / "anime_gan").glob("*.py"))
    assert names(tmp_path) == names(ROOT)


def test_notebooks_are_clean(tmp_path):
    shutil.copytree(ROOT / "nbs", tmp_path / "nbs")
    shutil.copy(ROOT / "settings.ini", tmp_path)
    subprocess.run([str(BIN / "nbdev_clean"), "--fname", "nbs"], cwd=tmp_path, check=True)
    for nb in sorted((ROOT / "nbs").rglob("*.ipynb")):
        rel = nb.relative_to(ROOT)
        assert json.loads((tmp_path / rel).read_text()) == json.loads(nb.read_text()), f"{rel} has stray metadata or outputs"
        d = json.loads(nb.read_text())
        assert all(not c.get("outputs") for c in d["cells"] if c["cell_type"] == "code"), f"{rel} carries outputs"


def test_readme_is_generated_from_index(tmp_path):
    index = str(ROOT / "nbs" / "index.ipynb")
    subprocess.run([str(BIN / "jupyter"), "nbconvert", "--log-level", "WARN", "--to", "markdown", index,
                    "--output", "README", "--output-dir", str(tmp_path)], check=True)
    assert (tmp_path / "README.md").read_text() == (ROOT / "README.md").read_text(), "run `make readme`"


def tiny_run(stem, tmp_path):
    "The paper notebook `stem` under papermill with the tiny profile; its results folder."
    from anime_gan.reproduce import run_notebook
    nb = ROOT / "nbs" / "papers" / f"{stem}.ipynb"
    return run_notebook(nb, "tiny", "", tmp_path, extra={"runs_dir": str(tmp_path / "runs")})


def test_paper4_notebook_end_to_end_tiny(tmp_path):
    out = tiny_run("4_use_cmhsa", tmp_path)
    t = pd.read_csv(out / "table.csv", dtype={"FID (paper)": str, "IS (paper)": str})
    assert list(t.model) == ["DCGAN", "USE-GAN", "CMHSA-GAN", "USE-CMHSA-GAN", "VAE-GAN", "WGAN"]
    assert t["fid mean"].notna().all() and (t["fid mean"] > 0).all() and (t.N == 16).all()
    assert (t["floor FID (real vs real, same N)"] > 0).all()
    assert t.set_index("model").loc["VAE-GAN", "IS (paper)"] == "2.60"           # the paper's printed precision
    assert t.set_index("model").loc["DCGAN", "FID (paper)"] == "63.92" and list(t.seeds) == [2, 2, 2, 2, 1, 1]
    seeds = pd.read_csv(out / "table_seeds.csv")
    assert len(seeds) == 10 and seeds.fid.notna().all()                           # per-seed rows
    curves = pd.read_csv(out / "learning_curves.csv")
    assert curves.groupby(["model", "seed"]).size().min() >= 2 and curves.fid.notna().all()
    claims = pd.read_csv(out / "claims.csv")
    assert set(claims.verdict) <= {"holds", "contradicted", "inconclusive"} and (claims.source == "paper").sum() == 8
    prov = json.loads((out / "provenance.json").read_text())
    for k in ("profile", "data", "seeds", "device", "wall_seconds", "git_sha", "fid_weights"): assert k in prov
    assert prov["data"]["content_hash"] and prov["fid_weights"]["sha256"]
    assert all(r["sessions"] and r["sessions"][0]["git_sha"] for r in prov["runs"].values())   # each run's training commit
    for f in ("table.md", "losses.png", "samples_dcgan.png", "notebook.ipynb", "learning_curves.png", "learned_faces_32.md"):
        assert (out / f).exists(), f
    assert t["hair recognised % (first seed)"].between(0, 100).all()
    assert prov["learned_judges"]["faces/hair/32"]["n_held_out"] == 16
    assert len(list((out / "runs").glob("*-s*-*.json"))) == 10 and "floor/" in (out / "runs" / "reference.json").read_text()
    b = pd.read_csv(out / "budget.csv")
    assert list(b.model) == list(t.model) and b.adequate.dtype == bool and claims.quote.str.contains("Table").all()
    # executed again beside its records, with no run folders: nothing trains, no Inception scores, the tables come back
    tables = {f: (out / f).read_text() for f in ("table.csv", "table_seeds.csv", "learning_curves.csv", "claims.csv")}
    from anime_gan.reproduce import run_notebook
    run_notebook(ROOT / "nbs" / "papers" / "4_use_cmhsa.ipynb", "tiny", "", tmp_path, extra={"runs_dir": str(tmp_path / "none")})
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["runs"] == {} and set(r["used"] for r in prov["records"].values()) == {"reused"} and len(prov["records"]) == 10
    assert not (tmp_path / "none").exists() and all((out / f).read_text() == v for f, v in tables.items())


def test_reproduce_continues_after_a_failure_and_exits_nonzero(tmp_path):
    r = subprocess.run([str(BIN / "anime-gan-reproduce"), "--profile", "no-such-profile", "--out", str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True)
    n = len(list((ROOT / "nbs" / "papers").glob("*.ipynb")))
    assert r.returncode == 1 and "FAILED" in r.stdout and f"0 of {n} notebooks ok" in r.stdout


def test_paper1_notebook_end_to_end_tiny(tmp_path):
    out = tiny_run("1_yugioh_dcsegan", tmp_path)
    t = pd.read_csv(out / "table.csv", dtype={"IS (paper)": str})
    assert len(t) == 20 and set(t.archetype) == {"fire_fist", "herald", "tenyi"}       # 3 × 4 arms + 6 long + 2 pre-tests
    paper = t[t.arm.str.endswith(" · paper")]
    assert list(paper.images) == [26, 26, 8, 8, 7, 7] and paper.seeds.eq(2).all()
    assert t[~t.index.isin(paper.index)].seeds.eq(1).all()
    assert paper.set_index("model").loc["DCSEGAN · paper · tenyi", "IS (paper)"] == "1.6155820847534375"   # as printed
    md = (out / "table.md").read_text()
    assert "1.6155820847534375" in md and "Inception Score unavailable" in md
    assert t["fid mean"].notna().all() and t["copy_rate mean"].between(0, 1).all() and (t["modes_train mean"] >= 1).all()
    assert (t["floor FID (copies, same N)"] > 0).all() and t["augmented copies FID"].notna().all()   # floors beside every FID
    per_seed = pd.read_csv(out / "table_seeds.csv")
    long = per_seed[per_seed.arm.str.endswith(" · long")]
    assert len(per_seed) == 26 and len(long) == 6 and (long.archetype == "fire_fist").all() and (long.steps == 8).all()
    pre = per_seed[per_seed.arm.str.contains("pre-test")].set_index("arm")
    # the second pre-test runs at its own batch (4, the set has 8): 4 steps of 4 images are 2 epochs, like the first's
    assert list(pre.index) == ["DCGAN · none (pre-test)", "DCGAN · none, long (pre-test)"] and (pre.archetype == "herald").all()
    assert list(pre.steps) == [2, 4] and list(pre.epochs) == [2, 2]
    c = pd.read_csv(out / "table_memorisation_controls.csv")                  # the copy check's positive control
    assert len(c) == 9 and (c[~c.control.str.contains("mirrored")].copy_rate >= 0.95).all()
    curves = pd.read_csv(out / "learning_curves.csv")
    assert len(curves) >= 18 and curves.kid.notna().all()
    claims = pd.read_csv(out / "claims.csv").set_index("claim")
    assert set(claims.verdict) <= {"holds", "contradicted", "inconclusive"} and (claims.source == "paper").sum() == 8
    assert claims.index.str.startswith("DiffAugment improves KID of").sum() == 6
    assert claims.index.str.startswith("the long budget improves KID").sum() == 4
    assert claims.index.str.contains(r"\(flip \+ DiffAugment only\) DCSEGAN reaches lower KID on fire_fist").sum() == 1
    tenyi = claims.loc["DCSEGAN beats DCGAN on tenyi (lower KID, as IS is unavailable)"]
    assert tenyi.verdict == "inconclusive" and "too few training seeds" in tenyi.evidence and "1.6155820847534375" in tenyi.quote
    for w in ("the pre-test", "the longer pre-test"):         # one run a length: never settled
        row = claims.loc[f"without augmentation DCGAN gives the originals back ({w}), unlike with the paper's (copy rate)"]
        assert row.verdict == "inconclusive" and "original images back" in row.quote
    for f in ("losses.png", "losses_long.png", "losses_pretest.png", "memorisation_dcgan-none-pre-test-herald.png",
              "memorisation_dcgan-none-long-pre-test-herald.png", "memorisation_distances.png", "claims.md", "provenance.json",
              "plan.md", "budget.md", "learning_curves.png", "samples_dcgan-none-pre-test-herald.png",
              "samples_dcsegan-paper-diffaugment-tenyi.png", "samples_dcsegan-paper-diffaugment-long-fire-fist.png",
              "samples_dcgan-flip-diffaugment-long-fire-fist.png"):
        assert (out / f).exists(), f
    ref = (out / "runs" / "reference.json").read_text()
    assert len(list((out / "runs").glob("*-s*-*.json"))) == 26
    assert all(k in ref for k in ("floor/", "augmented-copies/", "copy-control/"))
    # executed again beside its records, with no run folders: nothing trains, the tables and verdicts come back
    tables = {f: (out / f).read_text() for f in ("table.csv", "table_seeds.csv", "learning_curves.csv", "claims.csv",
                                                 "table_memorisation_controls.csv")}
    from anime_gan.reproduce import run_notebook
    run_notebook(ROOT / "nbs" / "papers" / "1_yugioh_dcsegan.ipynb", "tiny", "", tmp_path,
                 extra={"runs_dir": str(tmp_path / "none")})
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["runs"] == {} and set(r["used"] for r in prov["records"].values()) == {"reused"} and len(prov["records"]) == 26
    assert [f for f, v in tables.items() if (out / f).read_text() != v] == []


def test_paper2_notebook_end_to_end_tiny(tmp_path):
    out = tiny_run("2_sn_wgan", tmp_path)
    t = pd.read_csv(out / "table.csv", dtype={"good % (paper)": str, "unrecognisable % (paper)": str})
    assert t.model.iloc[0] == "real faces (val split), 32²" and len(t) == 1 + 9 + 1        # + SN at 64², the other resolution
    assert t["fid mean"][1:].notna().all() and {"hair_tv mean", "eyes_tv mean", "N"} <= set(t.columns)
    assert (t["floor FID (real vs real, same N)"] > 0).all() and list(t.columns[:2]) == ["model", "kimg"]
    t = t.set_index("model")                            # every judged model on both tiny seeds, the lr sweep on one
    assert t.loc[["DCGAN Adam 0.002 (baseline)", "DCGAN+SN", "DCGAN+WGAN (Adam 0.002)", "DCGAN+WGAN+SN"], "seeds"].eq(2).all()
    assert t.loc["DCGAN SGD 0.002", "seeds"] == 2 and t.loc["DCGAN Adam 0.0015", "seeds"] == 1    # the lr sweep: one seed
    assert t.loc["DCGAN+SN 64x64", "seeds"] == 2
    per_seed = pd.read_csv(out / "table_seeds.csv")
    assert len(per_seed) == 7 * 2 + 2 + 2 and "recognisable_%" in per_seed.columns and per_seed.fid.notna().all()
    assert t.loc["DCGAN Adam 0.002 (baseline)", "unrecognisable % (paper)"] == "~14%"          # the paper's, as printed
    assert t.loc["DCGAN+WGAN (Adam 0.002)", "good % (paper)"] == "~40%" and t["good % (paper)"].notna().sum() == 2
    sr = pd.read_csv(out / "table_srgan.csv")
    assert list(sr.model) == ["bicubic", "SRGAN", "SRGAN noise-jittered"] and sr["psnr_db mean"].notna().all()
    assert list(sr.seeds.iloc[1:]) == [1, 1] and len(pd.read_csv(out / "table_srgan_seeds.csv")) == 2
    sn = pd.read_csv(out / "table_sn_resolution.csv")              # ¼ and the end of one run per seed, at 32² and 64²
    assert list(sn.model) == ["DCGAN+SN · ¼", "DCGAN+SN · end", "DCGAN+SN 64x64 · ¼", "DCGAN+SN 64x64 · end"]
    assert sn.seeds.eq(2).all() and list(sn.resolution) == [32, 32, 64, 64]
    sn_seeds = pd.read_csv(out / "table_sn_resolution_seeds.csv")
    quarter, end = (sn_seeds[sn_seeds.model.str.endswith(w)].kimg.values for w in ("¼", "end"))
    assert len(sn_seeds) == 8 and (quarter < end).all()
    curves = pd.read_csv(out / "learning_curves.csv")              # every snapshot of every run is scored
    assert {"DCGAN Adam 0.002 (baseline)", "DCGAN+SN", "DCGAN+WGAN (Adam 0.002)", "DCGAN+WGAN+SN"} <= set(curves.model)
    assert curves.groupby(["model", "seed"]).size().min() >= 2 and curves.fid.notna().all()
    jv = pd.read_csv(out / "table_face_judge.csv")                                            # validated with negative controls
    assert {"real held-out faces", "a collapsed grid: one face repeated (unseen in training)",
            "melted faces (parts moved by a smooth random warp at a scale unseen in training: 4×4 points)",
            "melted faces (the warps of training: 3×3 or 6×6 points)"} <= set(jv.set)
    assert any(s.startswith("textured blobs") for s in jv.set)                    # a failing GAN's drawing, trained against
    assert len(jv) == 2 * 11 and set(jv.resolution) == {32, 64} and jv.passes.isna().sum() == 2   # permuted: information
    claims = pd.read_csv(out / "claims.csv").set_index("claim")
    assert set(claims.verdict) <= {"holds", "contradicted", "inconclusive"} and (claims.source == "paper").all()
    assert "too few training seeds" in claims.loc["noise-jittered SRGAN upscales generated faces better than plain SRGAN "
                                                  "(lower FID)", "evidence"]             # judged on its runs: one a side
    assert "SN at 32×32 gives more recognisable faces than at 64×64" in claims.index
    one_factor = ("adding SN improves the WGAN (lower FID; one factor: both RMSprop 5e-5; the paper saw no significant "
                  "improvement)")
    assert "too few training seeds" in claims.loc[one_factor, "evidence"]        # tiny: two seeds a side
    assert "did not see significant improvements" in claims.loc[one_factor, "quote"]
    assert "too few training seeds" in claims.loc["the DCGAN baseline beats DCGAN+SN (lower FID)", "evidence"]   # 2 a side
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["face_judge"]["n_held_out"] > 0 and prov["content_loss"] in ("mse", "vgg")
    assert prov["seeds"]["train"]["DCGAN+SN"] == [0, 1] and prov["seeds"]["train"]["DCGAN SGD 0.002"] == [0, 1]
    for f in ("losses_dcgan_grid.png", "losses_sn_wgan.png", "losses_srgan.png", "claims.md", "learning_curves.png", "plan.md",
              "budget.md", "samples_dcgan-wgan-sn.png", "sr_generated_SRGAN.png"):
        assert (out / f).exists(), f
    assert len(list((out / "runs").glob("*-s*-*.json"))) == 18 + 2                    # + the two SRGAN runs
    assert all(k in (out / "runs" / "reference.json").read_text() for k in ("floor/", "real-val/"))
    # executed again beside its records, with no run folders: nothing trains, the tables and verdicts come back
    tables = {f: (out / f).read_text() for f in ("table.csv", "table_seeds.csv", "learning_curves.csv", "claims.csv",
                                                 "table_sn_resolution.csv", "table_srgan.csv")}
    from anime_gan.reproduce import run_notebook
    run_notebook(ROOT / "nbs" / "papers" / "2_sn_wgan.ipynb", "tiny", "", tmp_path, extra={"runs_dir": str(tmp_path / "none")})
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["runs"] == {} and set(r["used"] for r in prov["records"].values()) == {"reused"} and len(prov["records"]) == 20
    assert [f for f, v in tables.items() if (out / f).read_text() != v] == []


def test_paper3_notebook_end_to_end_tiny(tmp_path):
    out = tiny_run("3_stylegan2_vs_dcgan", tmp_path)
    t = pd.read_csv(out / "table.csv", dtype={"FID (paper)": str}).set_index("model")
    assert list(t.index) == ["DCGAN", "StyleGAN2"] and list(t["FID (paper)"]) == ["624.04", "30.6"]   # as printed
    assert list(t.seeds) == [2, 1] and t["fid mean"].notna().all() and (t.N == 16).all()
    assert (t["floor FID (real vs real, same N)"] > 0).all() and t["hair recognised % (first seed)"].between(0, 100).all()
    assert len(pd.read_csv(out / "table_seeds.csv")) == 3                           # per-seed rows
    curves = pd.read_csv(out / "learning_curves.csv")
    assert curves.groupby(["model", "seed"]).size().min() >= 2 and curves.fid.notna().all()
    b = pd.read_csv(out / "table_bounds.csv").set_index("set")
    assert {"uniform noise", "flat grey", "anime faces, another sample"} <= set(b.index) and (b.n_fake == 16).all()
    # a set against another sample of itself is far closer than noise is
    assert b.loc["anime faces, another sample", "fid"] < 0.5 * b.loc["uniform noise", "fid"]
    md = (out / "table_bounds.md").read_text()
    assert "the paper's DCGAN FID 624.04 lies" in md and "no `celeba` source given" in md
    eq = pd.read_csv(out / "table_equal_seeds.csv")
    k = eq[eq.comparison.str.contains("at equal kimg")]
    assert set(k.model) == {"DCGAN", "StyleGAN2"} and k.kimg.round(6).nunique() == 1   # equal kimg is equal
    claims = pd.read_csv(out / "claims.csv")
    assert set(claims.verdict) <= {"holds", "contradicted", "inconclusive"} and list(claims.source) == ["paper", "ours", "ours"]
    assert claims.evidence.str.contains("too few training seeds").all() and "30.6" in claims.quote[0]   # 2 and 1 seeds
    assert len(list((out / "runs").glob("*-s*-*.json"))) == 3 and "bounds/" in (out / "runs" / "reference.json").read_text()
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["runs"]["StyleGAN2 · seed 0"]["config"]["model"]["arch"] == "stylegan" and prov["fid_weights"]["sha256"]
    for f in ("losses.png", "learning_curves.png", "samples_stylegan2.png", "truncation_stylegan2.png", "claims.md"):
        assert (out / f).exists(), f


def test_paper5_notebook_end_to_end_tiny(tmp_path):
    out = tiny_run("5_fullbody_stylegan", tmp_path)
    ch3 = pd.read_csv(out / "table_ch3.csv", dtype={"FID (thesis)": str})
    assert list(ch3.model[:3]) == [f"{m} · anime faces" for m in ("DCGAN", "WGAN", "WGAN-GP")]
    assert list(ch3.seeds[:3]) == [2, 2, 2] and ch3["fid std"][:3].notna().all()                   # tiny: two seeds each
    assert ch3["fid mean"][:3].notna().all() and (ch3["floor FID (real vs real, same N)"][:3] > 0).all()
    assert list(ch3["iterations / thesis"][:3]) == [2 / 4000, 1 / 20000, 1 / 20000]
    assert "not run: no `celeba` source given" in set(ch3.note) and len(ch3) == 6                  # the CelebA rows too
    assert list(ch3["FID (thesis)"]) == ["204.47", "219.20", "145.21", "150.40", "191.80", "120.52"]   # Tables 3.2, 3.1
    assert list(ch3["iterations (thesis)"][:3]) == [4000, 20000, 20000]
    ch3_seeds = pd.read_csv(out / "table_ch3_seeds.csv")
    assert len(ch3_seeds) == 6 and set(ch3_seeds.seed) == {0, 1}
    curves = pd.read_csv(out / "learning_curves_ch3.csv")
    assert len(curves) >= 6 and curves.fid.notna().all()
    claims = pd.read_csv(out / "claims.csv").set_index("claim")
    assert set(claims.verdict) <= {"holds", "contradicted", "inconclusive"} and (claims.source == "paper").all()
    c = claims.loc["chapter 3 (Table 3.2): WGAN-GP beats DCGAN on anime faces (lower FID)"]
    assert c.verdict == "inconclusive" and "too few training seeds" in c.evidence and "145.21" in c.quote   # 2 seeds a side
    assert claims.loc["chapter 3 (Table 3.1): WGAN-GP beats DCGAN on CelebA (lower FID)", "evidence"].endswith("not trained here")
    assert "coarse style can control" in claims.loc["pose follows the coarse styles most (the thesis: coarse = pose)", "quote"]
    fb = pd.read_csv(out / "table_fullbody.csv", dtype={"FID (thesis)": str})
    assert list(fb.model) == ["StyleGAN (a) progressive", "StyleGAN2 (b) no growing", "StyleGAN2 (c) larger", "WGAN-GP"]
    assert fb["fid mean"].notna().all() and list(fb["FID (thesis)"]) == ["220.77", "7.28", "5.02", "187.31"]   # Table 4.2
    assert (fb["floor FID (real vs real, same N)"] > 0).all() and fb["colour recognised % (first seed)"].between(0, 100).all()
    san = pd.read_csv(out / "table_fid_sanity.csv", dtype={"FID (thesis)": str})
    assert list(san["FID (thesis)"]) == ["5.32"] and san.fid.notna().all()                         # Table 3.3, no CelebA
    bands = pd.read_csv(out / "table_style_bands.csv")
    # 32²: no fine band
    assert list(bands.band) == ["coarse", "middle"] and {"pose follows B", "colour changed"} <= set(bands.columns)
    enc = pd.read_csv(out / "table_encoder.csv")
    assert list(enc.targets.str.split().str[0]) == ["generated", "real"] and enc.drop(columns="targets").notna().all().all()
    fbc = pd.read_csv(out / "learning_curves_fullbody.csv")           # tiny: WGAN-GP's one snapshot (the chapter-3 settings)
    assert "WGAN-GP" in set(fbc.model) and fbc.fid.notna().all() and fbc.seed.notna().all()
    assert "WGAN-GP" in set(pd.read_csv(out / "budget.csv").model)
    plan = pd.read_csv(out / "plan.csv")
    assert len(plan) == 10 and "'StyleGAN2 (b) no growing' has 1 seed(s)" in (out / "plan.md").read_text()
    for f in ("style_mixing.png", "interpolation_coarse.gif", "average_image.png", "reconstructions.png", "table_fid_sanity.md",
              "claims.md", "provenance.json", "losses_fullbody.png", "ch3_losses.png", "learning_curves_fullbody.png",
              "learning_curves_ch3.png", "samples_stylegan-b.png", "ch3_samples_dcgan_anime.png"): assert (out / f).exists(), f
    assert len(list((out / "runs").glob("*-s*-*.json"))) == 10 and "fid-sanity/" in (out / "runs" / "reference.json").read_text()
    # executed again beside its records, with no run folders: nothing trains, the tables and verdicts come back
    tables = {f: (out / f).read_text() for f in ("table_ch3.csv", "table_fullbody.csv", "claims.csv", "table_style_bands.csv",
                                                 "table_encoder.csv", "table_fid_sanity.csv", "learning_curves_ch3.csv")}
    from anime_gan.reproduce import run_notebook
    run_notebook(ROOT / "nbs" / "papers" / "5_fullbody_stylegan.ipynb", "tiny", "", tmp_path,
                 extra={"runs_dir": str(tmp_path / "none")})
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["runs"] == {} and set(r["used"] for r in prov["records"].values()) == {"reused"} and len(prov["records"]) == 10
    assert [f for f, v in tables.items() if (out / f).read_text() != v] == []
