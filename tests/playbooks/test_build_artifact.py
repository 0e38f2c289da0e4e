"""playbooks/tools/build_artifact.py: reproducible tarballs, signed manifests, a runnable release."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.playbooks.helpers import BUILD_ARTIFACT, REPO


def test_manifest_is_signed_and_matches_the_tarball(
    builder: ModuleType, tool: ModuleType, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    built = builder.build_artifact(
        "2.0.0", tmp_path, keys[0], extra_files={"bin/selftest": (b"exit 0\n", 0o755)}
    )
    raw = built.manifest.read_bytes()
    manifest = tool.verify_manifest(raw, built.signature.read_bytes(), tool.load_public_keys([keys[1]]))
    assert (manifest.version, manifest.name, manifest.artifact) == (
        "2.0.0",
        "cunlink",
        "cunlink-2.0.0.tar.gz",
    )
    assert manifest.size == built.tarball.stat().st_size
    assert manifest.sha256 == tool.sha256_file(built.tarball) == built.sha256
    assert manifest.key_id == built.key_id == tool.key_id(tool.load_public_keys([keys[1]])[0])


def test_tarball_is_reproducible(builder: ModuleType, keys: tuple[Path, Path], tmp_path: Path) -> None:
    one = builder.build_artifact("1.0.0", tmp_path / "a", keys[0], project=REPO)
    two = builder.build_artifact("1.0.0", tmp_path / "b", keys[0], project=REPO)
    assert one.sha256 == two.sha256


def test_project_release_runs_its_own_code(
    builder: ModuleType, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    built = builder.build_artifact("3.1.4", tmp_path / "dist", keys[0], project=REPO)
    release = tmp_path / "release"
    with tarfile.open(built.tarball) as tar:
        names = tar.getnames()
        tar.extractall(release, filter="data")
    assert "app/contract/fleet.py" in names
    assert not [n for n in names if "__pycache__" in n or n.startswith("app/tests")]
    env = dict(os.environ, CUNLINK_PYTHON=sys.executable, PYTHONPATH="")
    done = subprocess.run(
        [str(release / "bin/cunlink"), "--version"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    assert done.stdout.startswith("cunlink ")
    # The launcher tells the program which release it is (for the version in its BIRTH).
    probe = subprocess.run(
        ["sh", "-c", f'sed -n "s/^export CUNLINK_RELEASE_VERSION=//p" {release}/bin/cunlink'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "3.1.4"
    done = subprocess.run(
        [str(release / "bin/selftest")], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


def test_cli_keygen_and_build(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(BUILD_ARTIFACT), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )

    assert cli("keygen", "--out", str(tmp_path / "k" / "fleet")).returncode == 0
    assert oct((tmp_path / "k" / "fleet.key").stat().st_mode & 0o777) == "0o600"
    src = tmp_path / "src"
    (src / "bin").mkdir(parents=True)
    (src / "bin" / "selftest").write_text("#!/bin/sh\nexit 0\n")
    done = cli(
        "build",
        "--version",
        "0.9.0",
        "--key",
        str(tmp_path / "k" / "fleet.key"),
        "--out",
        str(tmp_path / "d"),
        "--source",
        str(src),
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert Path(out["artifact"]).name == "cunlink-0.9.0.tar.gz"
    bad = cli(
        "build",
        "--version",
        "../x",
        "--key",
        str(tmp_path / "k" / "fleet.key"),
        "--out",
        str(tmp_path / "d"),
        "--source",
        str(src),
    )
    assert bad.returncode == 1
    assert "invalid version" in bad.stderr


def test_rejects_a_key_that_is_not_ed25519(builder: ModuleType, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "ec.key"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(builder.ArtifactError, match="not an Ed25519"):
        builder.build_artifact("1.0.0", tmp_path, path)


def _tiny_wheel(directory: Path) -> Path:
    """A minimal pure-Python wheel, built by hand so the test needs no build backend or network."""
    import base64
    import hashlib
    import zipfile

    files = {
        "demo_dep/__init__.py": b"ANSWER = 42\n",
        "demo_dep-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: demo-dep\nVersion: 1.0\n",
        "demo_dep-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("demo_dep-1.0.dist-info/RECORD,,")
    wheel = directory / "demo_dep-1.0-py3-none-any.whl"
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr("demo_dep-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


@pytest.mark.slow
def test_wheels_become_the_releases_own_venv_before_it_is_visible(
    builder: ModuleType, tool: ModuleType, keys: tuple[Path, Path], server: Any, tmp_path: Path
) -> None:
    """bin/prepare builds venv/ offline while the release is a temp dir; the launcher then uses it."""
    _tiny_wheel(tmp_path / "wheelhouse")
    built = builder.build_artifact(
        "7.0.0-wheels", server.root, keys[0], project=REPO, wheels=tmp_path / "wheelhouse"
    )
    del built
    root = tmp_path / "root"
    settings = tool.Settings(
        public_keys=(keys[1],), fetch_retries=0, hook_env={"CUNLINK_BASE_PYTHON": sys.executable}
    )
    layout = tool.Layout(root)
    tool.fetch(layout, settings, "7.0.0-wheels", server.url)
    assert tool.stage(layout, settings, "7.0.0-wheels")["result"] == "staged"
    release = root / "releases" / "7.0.0-wheels"
    done = subprocess.run(
        [str(release / "venv" / "bin" / "python"), "-c", "import demo_dep; print(demo_dep.ANSWER)"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.stdout.strip() == "42", done.stderr


def test_every_project_package_the_programs_import_is_shipped(builder: ModuleType) -> None:
    """A package the programs import but the release lacks starts on the builder, dies on devices."""

    project = {p.name for p in REPO.iterdir() if (p / "__init__.py").is_file()}
    shipped = set(builder.PROJECT_PACKAGES)
    missing: dict[str, str] = {}
    for package in shipped:
        for source in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom) and node.level == 0
                    else []
                )
                for name in names:
                    top = name.split(".")[0]
                    if top in project and top not in shipped and top != "simulator":
                        missing.setdefault(top, str(source.relative_to(REPO)))
    assert not missing, f"imported by the programs but not shipped: {missing}"
