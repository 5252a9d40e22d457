"""cfnews installs as one package, `cfnews`: nothing generic (pipeline, transforms, schemas) lands
in site-packages, every module and data file of the repository's folders is in the wheel, and
the wheel's code runs as installed (not from the source tree)."""
from __future__ import annotations

import pathlib
import subprocess
import sys
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
MAPPED = {"pipeline": "cfnews/pipeline", "transforms": "cfnews/transforms",
          "schemas": "cfnews/schemas", "cfnews": "cfnews"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("wheel")
    # built offline: no isolated build environment (pip would fetch setuptools from an index),
    # no index, no version check; the test environment's setuptools and wheel build it
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                           "--no-build-isolation", "--no-index", "--disable-pip-version-check",
                           "-w", str(out), str(ROOT)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (built,) = out.glob("cfnews-*.whl")
    return built


def source_files() -> set[str]:
    """Every file the installed package must carry, named as it is inside the wheel."""
    wanted = set()
    for folder, target in MAPPED.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                wanted.add(f"{target}/{path.relative_to(ROOT / folder).as_posix()}")
    return wanted


def test_the_wheel_holds_one_top_level_package_and_every_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    top_level = {name.split("/", 1)[0] for name in names}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"cfnews"}
    missing = source_files() - names
    assert not missing, f"not in the wheel: {sorted(missing)[:20]}"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "cfnews = cfnews.pipeline.cli:entry" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_installed_code_runs_from_the_wheel(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = ("import cfnews, cfnews.transforms.ingest as ingest, importlib.util as u; "
             "print(cfnews.__file__); print(ingest.__file__); "
             "print([m for m in ('pipeline', 'transforms', 'schemas') if u.find_spec(m)])")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    package_file, ingest_file, generic = done.stdout.splitlines()
    assert package_file.startswith(str(site)) and ingest_file.startswith(str(site))
    assert generic == "[]"


def test_import_cfnews_is_cheap_and_exposes_the_public_api():
    probe = ("import sys, cfnews; cheap = 'apache_beam' not in sys.modules; "
             "missing = [n for n in cfnews.__all__ if not hasattr(cfnews, n)]; "
             "print(cheap, missing, cfnews.IngestEntries.__module__)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "[]", "cfnews.transforms.ingest"]


def test_python_dash_m_cfnews_is_the_cli():
    done = subprocess.run([sys.executable, "-m", "cfnews", "--version"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    from importlib import metadata
    assert done.stdout.strip() == f"cfnews {metadata.version('cfnews')}"


def test_every_declared_dependency_is_pinned_in_the_constraints_file():
    """The test command installs with `-c constraints.txt`: a dependency missing from it floats
    to whatever the index has that day (opencc-python-reimplemented and Protego did)."""
    import re
    import tomllib
    from packaging.requirements import Requirement

    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    root = pathlib.Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    declared = {canonical(Requirement(r).name) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {canonical(Requirement(r).name) for r in extra}
    pinned = {canonical(line.split("==")[0]) for line in
              (root / "constraints.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#") and "==" in line}
    assert declared - pinned == set(), "not pinned in constraints.txt"
