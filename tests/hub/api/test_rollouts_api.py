"""The rollout steering operations over HTTP: each one reaches its own transition, as admin only.

A real hub (no MQTT) with the orchestrator enabled and no rollout yet: an unknown id is the
orchestrator's KeyError, which each operation must turn into its 404.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract.fleet import dump_fleet
from hub.config import HubConfig
from simulator.fleet_gen import generate_fleet
from tests.support.fuzz import serve_hub

ADMIN = {"Authorization": "Bearer admin-token-rollouts"}
READ = {"Authorization": "Bearer read-token-rollouts"}
STEERING = {
    "pause": "pause_rollout",
    "resume": "resume_rollout",
    "abort": "abort_rollout",
    "revert": "revert_rollout_wave",
}


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp: Path = tmp_path_factory.mktemp("rollouts-api")
    dump_fleet(generate_fleet(2024, gnbs=2), tmp / "fleet.json")
    config = HubConfig.model_validate(
        {
            "fleet": str(tmp / "fleet.json"),
            "data_dir": str(tmp / "data"),
            "rollouts": {"enabled": True},
            "api": {
                "tokens": [
                    {"name": "ops", "token": "admin-token-rollouts", "role": "admin"},
                    {"name": "viewer", "token": "read-token-rollouts", "role": "read"},
                ]
            },
        }
    )

    async def seed(*_: object) -> None:
        pass

    with serve_hub(config, seed) as url:
        yield url


def _post(url: str, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    req = urllib.request.Request(url, data=b"", method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.parametrize("action", sorted(STEERING))
def test_steering_an_unknown_rollout_is_404_and_needs_admin(hub_url: str, action: str) -> None:
    status, body = _post(f"{hub_url}/api/v1/rollouts/nope/{action}", ADMIN)
    assert (status, body) == (404, {"error": {"code": "not_found", "message": "no rollout nope"}})
    status, _ = _post(f"{hub_url}/api/v1/rollouts/nope/{action}", READ)
    assert status == 403


def test_steering_operations_are_documented_under_their_own_ids(hub_url: str) -> None:
    with urllib.request.urlopen(f"{hub_url}/api/openapi.json", timeout=10) as resp:
        paths = json.loads(resp.read())["paths"]
    for action, operation in STEERING.items():
        post = paths[f"/api/v1/rollouts/{{id}}/{action}"]["post"]
        assert post["operationId"] == operation
        assert post["tags"] == ["rollouts"]
        assert post["security"] == [{"bearer": []}]
