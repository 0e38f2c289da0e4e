"""dashboards/: rules pass promtool's checks and unit tests, alerts are documented, dashboards are built."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"

needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")


def _promtool(*args: str) -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None
    done = subprocess.run(
        [promtool, *args], cwd=DASHBOARDS, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.prometheus
@needs_promtool
def test_config_and_rules_are_valid_and_alert_tests_pass() -> None:
    _promtool("check", "config", "prometheus.yml")
    _promtool("check", "rules", "rules/recording.yml", "rules/alerts.yml")
    _promtool("test", "rules", "tests/alerts_test.yml")


def test_every_alert_is_complete_tested_and_in_the_runbook() -> None:
    alerts = [
        r for g in yaml.safe_load((DASHBOARDS / "rules/alerts.yml").read_text())["groups"] for r in g["rules"]
    ]
    tests = (DASHBOARDS / "tests/alerts_test.yml").read_text()
    runbook = (ROOT / "docs/runbook.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^## (.+)$", runbook, re.M)
    }
    for rule in alerts:
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert {"summary", "description", "runbook_url"} <= set(rule["annotations"]), name
        assert rule["annotations"]["runbook_url"] == f"docs/runbook.md#{name.lower()}"
        assert name.lower() in anchors, f"{name} has no section in docs/runbook.md"
        assert f"alertname: {name}\n" in tests, f"{name} has no promtool test"


def test_committed_dashboards_equal_the_builders_output() -> None:
    spec = importlib.util.spec_from_file_location("dashboards_build", DASHBOARDS / "build.py")
    assert spec is not None
    assert spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    built = build.render_all()
    committed = {p.name: p.read_text(encoding="utf-8") for p in (DASHBOARDS / "grafana").glob("*.json")}
    assert committed == built, "run `python dashboards/build.py` and commit the result"
    for text in built.values():
        assert '"type": "geomap"' in text or "cunlink-hub" in text
