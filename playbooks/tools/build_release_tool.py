#!/usr/bin/env python3
"""Build the device tool (roles/release/files/cunlink_release/) into one zipapp file.

    python playbooks/tools/build_release_tool.py [--out PATH]     # prints the path it wrote

The role ``release`` runs this once per play on the controller and copies the result to
``R/bin/cunlink_release.py`` on every device: one file, replaced atomically by the copy, so
a device never runs a mix of old and new modules. Python runs a zip archive given as its
script whatever the file's name; the ``.py`` name keeps the command line the devices' verify
units and the hub's tools already use.

Reproducible, so that a re-run of site.yml changes nothing: entries sorted, a fixed
timestamp, and bytecode as unchecked-hash pycs (no mtimes). A device whose Python differs
from the controller's ignores the pycs (other magic number) and compiles the sources,
which the archive also carries; a matching Python skips compiling (about 15 ms per start).
Without ``--out`` the file goes to the temp directory under a name derived from its
content, so concurrent plays write the same bytes to the same name.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import py_compile
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "roles" / "release" / "files" / "cunlink_release"
#: The archive's own entry point: the zip root is sys.path[0], the package sits below it.
MAIN = b"from cunlink_release.cli import main\n\nraise SystemExit(main())\n"
SHEBANG = b"#!/usr/bin/env python3\n"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _pyc(source: Path, name: str) -> bytes:
    """Unchecked-hash bytecode for ``source``, compiled by this Python."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.pyc"
        py_compile.compile(
            str(source),
            cfile=str(out),
            dfile=name,
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
        return out.read_bytes()


def build(package: Path = PACKAGE) -> bytes:
    """The zipapp's bytes: shebang, then a zip of ``__main__.py`` and the package (py + pyc)."""
    entries: dict[str, bytes] = {"__main__.py": MAIN}
    for source in sorted(package.glob("*.py")):
        name = f"{package.name}/{source.name}"
        entries[name] = source.read_bytes()
        entries[name + "c"] = _pyc(source, name)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name])
    return SHEBANG + buffer.getvalue()


def write(data: bytes, out: Path | None) -> Path:
    """Write ``data`` atomically to ``out`` (default: a content-named file in the temp dir)."""
    if out is None:
        digest = hashlib.sha256(data).hexdigest()[:16]
        out = Path(tempfile.gettempdir()) / f"cunlink_release-{digest}.pyz"
        if out.is_file() and out.read_bytes() == data:
            return out
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o755)
    os.replace(tmp, out)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="where to write it (default: a content-named temp file)")
    args = parser.parse_args(argv)
    sys.stdout.write(f"{write(build(), args.out)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
