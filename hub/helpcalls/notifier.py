"""The notifier seam: how a help-call notice reaches a person.

:class:`WebhookNotifier` POSTs one JSON document per notice to a configured URL - an SMS
gateway or a work-chat bot adapter does the last mile. The ``Idempotency-Key`` header is
the notice id, so a gateway that saw a POST whose answer got lost can drop the repeat.
Any other channel fits behind :class:`Notifier`.
"""

from __future__ import annotations

from typing import Any, Protocol

import aiohttp

#: Error reasons (the ``reason`` label of cl_helpcall_notify_errors_total): a closed set.
REASONS = ("unconfigured", "timeout", "connect", "http_4xx", "http_5xx", "other")


class NotifyError(Exception):
    """A notice was not delivered; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Notifier(Protocol):
    """Delivers one notice or raises :class:`NotifyError`."""

    async def send(self, key: str, message: dict[str, Any]) -> None:
        """Deliver ``message``; ``key`` is stable across retries of the same notice."""


class Unconfigured:
    """No channel configured: every notice fails (and waits), so nobody is told falsely."""

    async def send(self, key: str, message: dict[str, Any]) -> None:
        """Always fails."""
        del key, message
        raise NotifyError("unconfigured", "helpcalls.webhook_url is not set")


class WebhookNotifier:
    """POST JSON to one URL; 2xx is delivered, anything else is an error to retry."""

    def __init__(self, url: str, token: str | None, timeout: float) -> None:
        self.url = url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, key: str, message: dict[str, Any]) -> None:
        """One POST; raises NotifyError with a bounded reason."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        headers = {**self._headers, "Idempotency-Key": key}
        try:
            async with self._session.post(self.url, json=message, headers=headers) as response:
                if response.status >= 500:
                    raise NotifyError("http_5xx", f"webhook answered {response.status}")
                if response.status >= 300:
                    raise NotifyError("http_4xx", f"webhook answered {response.status}")
        except TimeoutError:
            raise NotifyError("timeout", "webhook did not answer in time") from None
        except aiohttp.ClientConnectionError as exc:
            raise NotifyError("connect", f"cannot reach webhook: {exc}") from None
        except aiohttp.ClientError as exc:
            raise NotifyError("other", f"webhook failed: {exc}") from None
