"""Typed config files shared by every program: YAML in, a pydantic model out.

Errors name the file, the line and the dotted key (``agent.yaml:12: targets[3].port: ...``),
unknown keys are rejected, and secrets print as ``**********``.
Secrets may be written inline, as ``env:NAME`` (read from the environment) or as
``file:/path`` (read from a file, e.g. under systemd's $CREDENTIALS_DIRECTORY).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import BeforeValidator, ConfigDict, SecretStr
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from contract.errors import ContractError

M = TypeVar("M", bound=pydantic.BaseModel)


class ConfigError(ContractError):
    """A config file cannot be read or does not match its schema."""


class ConfigModel(pydantic.BaseModel):
    """Base of every config section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _resolve_secret(value: object) -> object:
    if not isinstance(value, str):
        return value
    if value.startswith("env:"):
        name = value[4:]
        if name not in os.environ:
            msg = f"environment variable {name} is not set"
            raise ValueError(msg)
        return os.environ[name]
    if value.startswith("file:"):
        try:
            return Path(value[5:]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            msg = f"cannot read secret file {value[5:]}: {exc.strerror}"
            raise ValueError(msg) from None
    return value


#: A secret string: masked when printed, may come from ``env:NAME`` or ``file:/path``.
Secret = Annotated[SecretStr, BeforeValidator(_resolve_secret)]


def _line_of(node: Any, loc: Sequence[int | str]) -> int | None:
    """1-based line of the deepest part of ``loc`` that exists in the YAML tree."""
    line: int | None = None
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            pos = node.lc.key(key)
            line = pos[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            pos = node.lc.item(key)
            line = pos[0] + 1
            node = node[key]
        else:
            break
    if line is None and isinstance(node, CommentedMap | CommentedSeq) and node.lc.line is not None:
        line = node.lc.line + 1
    return line


def _dotted(loc: Sequence[int | str]) -> str:
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(top level)"


def read_yaml(path: Path) -> Any:
    """Read a YAML file keeping line numbers; raise ConfigError on syntax errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"{path}: cannot read: {exc.strerror}"
        raise ConfigError(msg) from None
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        msg = f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}"
        raise ConfigError(msg) from None


def validate(data: Any, model: type[M], path: Path) -> M:
    """Validate parsed YAML against ``model``, mapping every error to a file line."""
    if data is None:
        data = {}
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = [k for k in err["loc"] if isinstance(k, int | str)]
            line = _line_of(data, loc)
            where = f"{path}:{line}" if line is not None else str(path)
            problem = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            lines.append(f"{where}: {_dotted(loc)}: {problem}")
        raise ConfigError("\n".join(lines)) from None


def load_config(path: str | Path, model: type[M]) -> M:
    """Read and validate a YAML config file."""
    path = Path(path)
    return validate(read_yaml(path), model, path)


def dump_masked(config: pydantic.BaseModel) -> str:
    """The config as YAML with secrets masked, for ``validate-config`` and logs."""
    import io

    data = config.model_dump(mode="json")  # SecretStr dumps as "**********"
    out = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.dump(data, out)
    return out.getvalue()
