"""Jinja filters for the cunlink playbooks: per-device MQTT passwords and Mosquitto password hashes.

``cunlink_device_password``: every node's broker password is HMAC-SHA256(fleet secret, node id),
so the inventory holds one vaulted secret instead of thousands of passwords, the broker role
and the device role derive the same value independently, and a stolen kiosk reveals only
its own password.

``cunlink_mosquitto_hash``: a Mosquitto 2 password-file entry (PBKDF2-HMAC-SHA512, ``$7$``).
The salt is derived from the user and the password, so re-running the role renders the same
file and does not restart the broker on every run.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

# Mosquitto 2.0's mosquitto_passwd defaults: 12-byte salt, 64-byte SHA-512 output.
_SALT_BYTES = 12
_DEFAULT_ITERATIONS = 101


def cunlink_device_password(secret: str, node_id: str) -> str:
    """The broker password of ``node_id``: 32 hex digits of HMAC-SHA256(secret, node id)."""
    if not secret:
        msg = "cunlink_device_password needs a non-empty fleet secret"
        raise ValueError(msg)
    return hmac.new(secret.encode(), f"mqtt:{node_id}".encode(), hashlib.sha256).hexdigest()[:32]


def cunlink_mosquitto_hash(password: str, username: str, iterations: int = _DEFAULT_ITERATIONS) -> str:
    """``$7$<iterations>$<salt>$<hash>`` as mosquitto_passwd writes it, with a deterministic salt."""
    salt = hashlib.sha256(f"cunlink-mosquitto:{username}:{password}".encode()).digest()[:_SALT_BYTES]
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


class FilterModule:
    """Ansible's entry point for filter plugins."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "cunlink_device_password": cunlink_device_password,
            "cunlink_mosquitto_hash": cunlink_mosquitto_hash,
        }
