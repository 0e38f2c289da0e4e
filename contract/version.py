"""Contract version and the versioning rule (see docs/contract.md, "Versioning").

The major version is part of every topic (``cl/v1/...``). Inside one major
version a change may only *add* optional fields with defaults, and consumers
(the hub first) are upgraded before producers, because every struct rejects
unknown fields. Removing, renaming or re-typing a field, or changing what a
field means, makes a new major version under a new topic root; the hub then
subscribes to both roots until the fleet has moved.
"""

CONTRACT_VERSION = 1
TOPIC_ROOT = f"cl/v{CONTRACT_VERSION}"
