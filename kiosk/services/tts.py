"""Speech behind one small interface: recorded prompts first, then espeak-ng or speech-dispatcher.

Why not QTextToSpeech: with speech-dispatcher it maps espeak-ng's Mandarin voices
to locale ``C`` and picks an unrelated voice for zh_CN (reference/kiosk.md 4.3),
and it cannot play recorded files. A subprocess per utterance is cheap (espeak-ng
synthesises 13 s of speech in 0.08 s) and never blocks the GUI thread.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class Speaker(Protocol):
    """Says one thing at a time; a new utterance interrupts the previous one."""

    def say(self, text: str, *, prompt: str | None, rate: int, volume: int) -> None:
        """Speak ``text`` (or play the recording of ``prompt``) at words/min ``rate`` and volume 0-100."""

    def stop(self) -> None:
        """Stop speaking now (session end, new screen)."""


@dataclass
class Utterance:
    """One recorded call of a RecordingSpeaker."""

    text: str
    prompt: str | None
    rate: int
    volume: int


@dataclass
class RecordingSpeaker:
    """The fake for tests and simulated villagers: remembers what would have been said."""

    said: list[Utterance] = field(default_factory=list)
    stops: int = 0

    def say(self, text: str, *, prompt: str | None, rate: int, volume: int) -> None:
        """Record the utterance."""
        self.said.append(Utterance(text, prompt, rate, volume))

    def stop(self) -> None:
        """Count stops."""
        self.stops += 1

    @property
    def texts(self) -> list[str]:
        """Everything said, in order."""
        return [u.text for u in self.said]


class _ProcessSpeaker:
    """Runs one player process at a time and kills the previous one."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None

    def _run(self, argv: list[str]) -> None:
        self.stop()
        try:
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError:
            # No audio tool on this box: the captions on screen still carry every prompt.
            self._proc = None

    def stop(self) -> None:
        """Kill and reap the current utterance."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        if self._proc is not None:
            self._proc.wait()
        self._proc = None


class EspeakSpeaker(_ProcessSpeaker):
    """espeak-ng directly (Debian espeak-ng, voice ``cmn``), with recorded prompts preferred."""

    def __init__(self, voice: str, prompts: PromptFiles | None = None, binary: str = "espeak-ng") -> None:
        super().__init__()
        self.voice = voice
        self.prompts = prompts
        self.binary = binary

    def say(self, text: str, *, prompt: str | None, rate: int, volume: int) -> None:
        """Play the recording of ``prompt`` if there is one, else synthesise ``text``."""
        recorded = self.prompts.argv(prompt) if self.prompts else None
        if recorded:
            self._run(recorded)
            return
        # espeak-ng amplitude is 0-200 with 100 as its default loudness; map 0-100 onto 0-200.
        self._run([self.binary, "-v", self.voice, "-s", str(rate), "-a", str(volume * 2), "--", text])


class SpeechdSpeaker(_ProcessSpeaker):
    """speech-dispatcher through spd-say, with the voice chosen by name (not by locale)."""

    def __init__(self, voice: str, prompts: PromptFiles | None = None) -> None:
        super().__init__()
        self.voice = voice
        self.prompts = prompts

    def say(self, text: str, *, prompt: str | None, rate: int, volume: int) -> None:
        """spd-say rate and volume are -100..100; espeak-ng's 175 wpm default is 0."""
        recorded = self.prompts.argv(prompt) if self.prompts else None
        if recorded:
            self._run(recorded)
            return
        spd_rate = max(-100, min(100, round((rate - 175) * 100 / 175)))
        spd_volume = max(-100, min(100, volume * 2 - 100))
        self._run(["spd-say", "-y", self.voice, "-r", str(spd_rate), "-i", str(spd_volume), "--", text])


class NullSpeaker:
    """Speech switched off in config (captions still show every prompt)."""

    def say(self, text: str, *, prompt: str | None, rate: int, volume: int) -> None:
        """Say nothing."""

    def stop(self) -> None:
        """Nothing to stop."""


@dataclass(frozen=True)
class PromptFiles:
    """Recorded prompts: ``<dir>/<prompt-id>.wav`` (Mandarin or 巴中话), played by ``player``."""

    directory: Path
    player: str = "aplay -q"

    def argv(self, prompt: str | None) -> list[str] | None:
        """The command that plays ``prompt``'s recording, or None when there is none."""
        if not prompt:
            return None
        path = self.directory / f"{prompt}.wav"
        if not path.is_file():
            return None
        return [*shlex.split(self.player), str(path)]


def make_speaker(engine: str, voice: str, prompts_dir: Path | None, player: str) -> Speaker:
    """The speaker the config asks for; NullSpeaker when the engine's binary is missing."""
    prompts = PromptFiles(prompts_dir, player) if prompts_dir else None
    if engine == "espeak-ng" and shutil.which("espeak-ng"):
        return EspeakSpeaker(voice, prompts)
    if engine == "speechd" and shutil.which("spd-say"):
        return SpeechdSpeaker(voice, prompts)
    return NullSpeaker()
