"""Errors of the edge agent: library errors are converted to these once, at the boundary.

``reason`` is a short bounded token, fit for the ``reason`` label of
``edge_snmp_errors_total``; the message is for humans and logs.
"""

from __future__ import annotations


class EdgeAgentError(Exception):
    """Base class of every edge agent error."""

    reason = "error"


class SnmpError(EdgeAgentError):
    """An SNMP request failed for a reason other than those below."""

    reason = "snmp_error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class SnmpTimeout(SnmpError):
    """No answer within timeout x (retries + 1): the device or the path to it is down."""

    reason = "timeout"


class SnmpAuthError(SnmpError):
    """The agent rejected our credentials (SNMPv3 USM reports; v2c agents just stay silent)."""

    reason = "auth"


class SnmpAgentError(SnmpError):
    """The agent answered with an error-status (noSuchName, genErr, tooBig, ...)."""

    reason = "agent_error"

    def __init__(self, message: str, *, reason: str | None = None, error_index: int = 0) -> None:
        super().__init__(message, reason=reason)
        self.error_index = error_index
        """1-based var-bind the error-status refers to (0: the whole PDU)."""
