"""`make docs` builds the site offline; headless Chromium loads every page without console errors, every
navigation link resolves, and images render (a non-blank screenshot, every <img> decoded)."""
import functools, http.server, io, shutil, threading, time, urllib.parse, urllib.request
from pathlib import Path
import numpy as np, pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from anime_gan.site import build_site
    out = build_site(ROOT, tmp_path_factory.mktemp("site") / "_docs")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    handler = functools.partial(Quiet, directory=str(out))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield out, f"http://127.0.0.1:{srv.server_address[1]}/"
    srv.shutdown()

@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    binary, driver = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    assert binary and driver, "Debian's chromium and chromium-driver are installed by `make test` (apt)"
    o = webdriver.ChromeOptions()
    o.binary_location = binary
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    b = webdriver.Chrome(service=Service(driver), options=o)
    yield b
    b.quit()

def _images(browser, timeout=15):
    "[(src, decoded)] of every <img>, after giving slow images (a large GIF) time to finish loading."
    js = "return [document.readyState, Array.from(document.images).map(i => [i.src, i.complete && i.naturalWidth > 0])]"
    end = time.time() + timeout
    while True:
        state, imgs = browser.execute_script(js)
        if (state == "complete" and all(ok for _, ok in imgs)) or time.time() > end: return imgs
        time.sleep(0.2)

def test_site_pages(site, browser):
    out, base = site
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html") if p.name != "404.html")
    index = (out / "index.html").read_text()
    names = set(pages)
    for must in ("index.html", "papers/1_yugioh_dcsegan.html", "papers/5_fullbody_stylegan.html", "api/train.html",
                 "library/06_train.html", "api/cli.html"):
        assert must in names, must
    # headlines: the paper's numbers and ours
    assert "The paper's claims:" in index and "624.04" in index and "63.92" in index
    nav = set()
    for page in pages:
        browser.get(base + page)
        imgs = _images(browser)                                   # after the page has finished loading
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, (page, errors[:3])
        assert all(ok for _, ok in imgs), (page, [s for s, ok in imgs if not ok][:3])
        if page.startswith("papers/") and not page.endswith("_files"):
            assert len(imgs) >= 3, (page, "a paper page shows its loss plots and sample grids")
        nav |= {urllib.parse.urljoin(base + page, h).split("#")[0] for h in browser.execute_script(
            "return Array.from(document.querySelectorAll('a.md-nav__link[href], a.md-tabs__link[href]'))"
            ".map(a => a.getAttribute('href'))")}
    shot = np.asarray(Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("L"), dtype=float)
    assert shot.std() > 5, "the last page's screenshot is blank"
    browser.get(base + "index.html")
    browser.get(base + "papers/5_fullbody_stylegan.html")
    end = time.time() + 30
    while not (gif := [ok for src, ok in _images(browser) if src.endswith(".gif")]) and time.time() < end: time.sleep(0.5)
    assert gif and all(gif), "paper 5's interpolation animation renders"
    local = sorted(u for u in nav if u.startswith(base))
    assert len(local) >= len(pages) - 1
    for u in local:
        with urllib.request.urlopen(u) as r: assert r.status == 200, u
