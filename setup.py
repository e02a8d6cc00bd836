"""Packaging: everything comes from settings.ini (the nbdev 2 convention)."""
from configparser import ConfigParser
from setuptools import setup, find_packages

cfg = ConfigParser(delimiters=["="])
cfg.read("settings.ini", encoding="utf-8")
c = cfg["DEFAULT"]
scripts = [s.strip() for s in c.get("console_scripts", "").split() if s.strip()]

setup(
    name=c["lib_name"], version=c["version"], description=c["description"],
    author=c["author"], author_email=c["author_email"], license=c["license"],
    url=c["git_url"], python_requires=">=" + c["min_python"],
    packages=find_packages(include=[c["lib_path"], c["lib_path"] + ".*"]),
    install_requires=c.get("requirements", "").split(),
    # notebooks: the tools that run the paper notebooks in batch (papermill) or by hand (jupyterlab); `make` installs them,
    # Colab has its own; dev: the tests, notebooks-as-source and the docs site (they run the notebooks too)
    extras_require={"notebooks": c.get("notebook_requirements", "").split(),
                    "dev": c.get("dev_requirements", "").split() + c.get("notebook_requirements", "").split()},
    entry_points={"console_scripts": scripts, "nbdev": [f"{c['lib_path']}={c['lib_path']}._modidx:d"]},
    include_package_data=True, zip_safe=False,
)
