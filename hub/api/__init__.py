"""The hub's REST API machinery: declared operations, token roles, JSON errors, OpenAPI."""

from hub.api.errors import ApiError
from hub.api.registry import Api, Query, Role

__all__ = ["Api", "ApiError", "Query", "Role"]
