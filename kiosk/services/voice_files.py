"""Where voice notes live on disk, and what an appeal's ``voice_ref`` says about them.

- ``<data_dir>/voice/``: the recording of the villager at the kiosk now. Wiped at the end
  of every session and at every start (a kill -9 mid-recording leaves nothing behind).
- ``<data_dir>/outbox/voice/<request id>.m4a``: a note that was submitted with an appeal.
  It stays until the hub has the audio. Contract v1 moves the appeal over MQTT and only
  references the audio (``Appeal.voice_ref = "kiosk://<node>/voice/<request id>.m4a"``);
  the file itself follows in MediaChunk requests queued with the appeal (``chunks``), and
  is deleted once the hub has acknowledged every chunk. A note whose appeal is withdrawn
  or undone is deleted.

The move into the outbox is fsynced (file and directory) before the appeal is queued,
so an appeal in the outbox never points at a note lost to a power cut.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
from pathlib import Path

from contract import payloads as p
from kiosk.services.recorder import SUFFIX

#: What the recorder writes (AAC in an MP4 container).
MIME = "audio/mp4"


class VoiceFiles:
    """The two voice directories of one kiosk."""

    def __init__(self, data_dir: Path, node_id: str) -> None:
        self.node_id = node_id
        self.work = data_dir / "voice"
        self.outbox = data_dir / "outbox" / "voice"
        self.outbox.mkdir(parents=True, exist_ok=True)
        self.clear_work()

    def clear_work(self) -> None:
        """Delete every recording not submitted (session end, start-up)."""
        if self.work.exists():
            shutil.rmtree(self.work)
        self.work.mkdir(parents=True)

    def new_recording(self) -> Path:
        """A fresh path for the next recording."""
        self.work.mkdir(parents=True, exist_ok=True)
        return self.work / f"{secrets.token_hex(8)}{SUFFIX}"

    def submit(self, recording: Path, request_id: str) -> str:
        """Move ``recording`` into the outbox durably; returns the appeal's ``voice_ref``."""
        target = self.outbox / f"{request_id}{SUFFIX}"
        with recording.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(recording, target)
        fd = os.open(self.outbox, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return self.ref(request_id)

    def ref(self, request_id: str) -> str:
        """``kiosk://<node>/voice/<request id>.m4a``: which kiosk holds which file."""
        return f"kiosk://{self.node_id}/voice/{request_id}{SUFFIX}"

    def chunks(self, request_id: str) -> list[p.MediaChunk]:
        """The submitted note of appeal ``request_id`` as MediaChunk bodies, in order.

        Empty when the file is missing, empty or larger than the contract allows (the
        appeal still goes; the handler sees "voice note" without a player).
        """
        path = self.outbox / f"{request_id}{SUFFIX}"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return []
        if not data or len(data) > p.MAX_MEDIA_BYTES:
            return []
        digest = hashlib.sha256(data).hexdigest()
        step = p.MEDIA_CHUNK_BYTES
        count = -(-len(data) // step)
        return [
            p.MediaChunk(
                ref=self.ref(request_id),
                media="voice",
                mime=MIME,
                size=len(data),
                sha256=digest,
                chunk=i,
                chunks=count,
                data=base64.b64encode(data[i * step : (i + 1) * step]).decode("ascii"),
            )
            for i in range(count)
        ]

    def discard(self, request_id: str) -> None:
        """The appeal was undone or withdrawn: its audio goes too."""
        (self.outbox / f"{request_id}{SUFFIX}").unlink(missing_ok=True)

    def pending(self) -> list[Path]:
        """Submitted notes the hub does not have yet."""
        return sorted(self.outbox.glob(f"*{SUFFIX}"))
