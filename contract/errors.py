"""Errors raised by the contract: one base class, one subclass per failure."""


class ContractError(Exception):
    """Base class of every contract error."""


class TopicError(ContractError):
    """A topic does not fit the v1 namespace."""


class PayloadError(ContractError):
    """A payload is not valid JSON or does not match its struct.

    ``reason`` is a short, bounded token fit for a metric label
    (``json``, ``schema``, ``topic``, ``too_large``).
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
