"""SNMP credentials (``auths``), kept apart from targets and modules as in snmp_exporter.

v1/v2c take a community; v3 a USM user with optional authentication (MD5, SHA,
SHA-2) and privacy (DES, 3DES, AES-128/192/256 Blumenthal as net-snmp, and
Cisco's AES192C/AES256C). snmp_exporter's spellings (``password``,
``security_level``) are accepted. Secrets print masked and may come from
``env:NAME`` or ``file:/path``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from contract.configfile import ConfigModel, Secret

AuthProtocol = Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"]
PrivProtocol = Literal["DES", "3DES", "AES", "AES128", "AES192", "AES256", "AES192C", "AES256C"]


class AuthConfig(ConfigModel):
    """Credentials, apart from targets (as in snmp_exporter): ``2c`` needs a community, ``3`` a user."""

    version: Literal["1", "2c", "3"] = Field(description='SNMP version: "1", "2c" or "3"')
    community: Secret | None = Field(default=None, description="v1/v2c community")
    username: str | None = Field(default=None, description="v3 USM user name")
    auth_protocol: AuthProtocol | None = Field(default=None, description="v3 authentication protocol")
    auth_password: Secret | None = Field(default=None, description="v3 authentication pass phrase")
    password: Secret | None = Field(
        default=None,
        description="v3 authentication pass phrase under snmp_exporter's name (use one of the two)",
    )
    security_level: Literal["noAuthNoPriv", "authNoPriv", "authPriv"] | None = Field(
        default=None,
        description="v3 security level as in snmp_exporter; when given it must match the keys set",
    )
    priv_protocol: PrivProtocol | None = Field(default=None, description="v3 privacy protocol")
    priv_password: Secret | None = Field(default=None, description="v3 privacy pass phrase")

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # `version: 3` (an int in YAML) is a natural thing to write.
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _fields_of_version(self) -> AuthConfig:
        v3_fields = (
            "username",
            "auth_protocol",
            "auth_password",
            "password",
            "security_level",
            "priv_protocol",
            "priv_password",
        )
        if self.version in ("1", "2c"):
            if self.community is None:
                msg = f'version "{self.version}" needs community'
                raise ValueError(msg)
            extra = [name for name in v3_fields if getattr(self, name) is not None]
            if extra:
                msg = f'version "{self.version}" does not take {", ".join(extra)}'
                raise ValueError(msg)
            return self
        if self.community is not None:
            msg = 'version "3" does not take community'
            raise ValueError(msg)
        if not self.username:
            msg = 'version "3" needs username'
            raise ValueError(msg)
        if self.auth_password is not None and self.password is not None:
            msg = "give auth_password or password, not both"
            raise ValueError(msg)
        if (self.auth_protocol is None) != (self.auth_key is None):
            msg = "auth_protocol and auth_password go together"
            raise ValueError(msg)
        if (self.priv_protocol is None) != (self.priv_password is None):
            msg = "priv_protocol and priv_password go together"
            raise ValueError(msg)
        if self.priv_protocol is not None and self.auth_protocol is None:
            msg = "privacy needs authentication (set auth_protocol and auth_password)"
            raise ValueError(msg)
        level = "authPriv" if self.priv_protocol else "authNoPriv" if self.auth_protocol else "noAuthNoPriv"
        if self.security_level is not None and self.security_level != level:
            msg = f"security_level {self.security_level} does not match the keys given ({level})"
            raise ValueError(msg)
        return self

    @property
    def auth_key(self) -> SecretStr | None:
        """The v3 authentication pass phrase, under either of its names."""
        return self.auth_password if self.auth_password is not None else self.password
