import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ANIME_GAN_SHARED_DATA", ROOT.parent / "shared" / "data"))

def shared(name: str) -> Path:
    "A file of the development data set, or skip the test cleanly when it is not on this machine."
    p = SHARED / name
    if not p.exists(): pytest.skip(f"{p} not present (development data is optional)")
    return p
