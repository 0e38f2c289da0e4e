"""The SNMPv3 transport on pysnmp 7 (``pysnmp.hlapi.v3arch.asyncio``), which implements USM.

v1/v2c targets use the agent's own codec (:mod:`edge_agent.snmp.v2c`), which
costs a fraction of the CPU; this transport still speaks them too, for the
benchmark's comparison. pysnmp reports failures as ``(errorIndication, errorStatus, errorIndex, varBinds)``
tuples instead of raising; this module is the one place that turns them into
:mod:`edge_agent.errors`, so nothing else but the trap receiver imports pysnmp. Pitfalls handled here
(docs/edge_agent.md, shared reference snmp.md 4.1):

* one ``SnmpEngine`` per event loop, shared by all targets (an engine is bound to
  its loop, and creating one is slow);
* ``UdpTransportTarget.create`` with explicit timeout and retries (defaults are 1 s x 5);
* ``lookupMib=False`` everywhere (MIB lookups cost CPU);
* only the three primitives (``get_cmd``, ``next_cmd``, ``bulk_cmd``): walking
  is :mod:`edge_agent.snmp.walk`'s job, the same for every transport (pysnmp's
  ``bulk_walk_cmd`` walks one column per PDU and loops on timeouts).
"""

from __future__ import annotations

from typing import Any

from pyasn1.type import univ
from pysnmp.error import PySnmpError
from pysnmp.hlapi.v3arch import asyncio as hl
from pysnmp.proto import errind, rfc1902, rfc1905

from edge_agent.auths import AuthConfig
from edge_agent.errors import SnmpAgentError, SnmpAuthError, SnmpError, SnmpTimeout
from edge_agent.snmp.transport import SnmpType, SnmpValue, TransportStats, VarBind

AUTH_PROTOCOLS = {
    "MD5": hl.USM_AUTH_HMAC96_MD5,
    "SHA": hl.USM_AUTH_HMAC96_SHA,
    "SHA224": hl.USM_AUTH_HMAC128_SHA224,
    "SHA256": hl.USM_AUTH_HMAC192_SHA256,
    "SHA384": hl.USM_AUTH_HMAC256_SHA384,
    "SHA512": hl.USM_AUTH_HMAC384_SHA512,
}
# net-snmp and snmp_exporter naming: AES192/AES256 are the Blumenthal draft, the C variants Cisco's (Reeder).
PRIV_PROTOCOLS = {
    "DES": hl.USM_PRIV_CBC56_DES,
    "3DES": hl.USM_PRIV_CBC168_3DES,
    "AES": hl.USM_PRIV_CFB128_AES,
    "AES128": hl.USM_PRIV_CFB128_AES,
    "AES192": hl.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES256": hl.USM_PRIV_CFB256_AES_BLUMENTHAL,
    "AES192C": hl.USM_PRIV_CFB192_AES,
    "AES256C": hl.USM_PRIV_CFB256_AES,
}
# errorIndications that mean "your credentials are wrong" (USM reports, community checks).
_AUTH_INDICATIONS = (
    errind.UnknownUserName,
    errind.WrongDigest,
    errind.AuthenticationError,
    errind.AuthenticationFailure,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.UnknownCommunityName,
    errind.DecryptionError,
    errind.NotInTimeWindow,
    errind.UnknownEngineID,
)
_ERROR_STATUS = {1: "too_big", 2: "no_such_name", 5: "gen_err"}

# Decoded values are classified by ASN.1 tag (Gauge32 and Unsigned32 share one, as do
# OCTET STRING and BITS), which is sturdier than isinstance over pysnmp's class tree.
_TYPE_BY_TAG = {
    rfc1902.Integer32.tagSet: SnmpType.INTEGER,
    rfc1902.OctetString.tagSet: SnmpType.OCTET_STRING,
    rfc1902.ObjectIdentifier.tagSet: SnmpType.OID,
    rfc1902.IpAddress.tagSet: SnmpType.IPADDRESS,
    rfc1902.Counter32.tagSet: SnmpType.COUNTER32,
    rfc1902.Gauge32.tagSet: SnmpType.GAUGE32,
    rfc1902.TimeTicks.tagSet: SnmpType.TIMETICKS,
    rfc1902.Opaque.tagSet: SnmpType.OPAQUE,
    rfc1902.Counter64.tagSet: SnmpType.COUNTER64,
    univ.Null.tagSet: SnmpType.NULL,
    rfc1905.NoSuchObject.tagSet: SnmpType.NO_SUCH_OBJECT,
    rfc1905.NoSuchInstance.tagSet: SnmpType.NO_SUCH_INSTANCE,
    rfc1905.EndOfMibView.tagSet: SnmpType.END_OF_MIB_VIEW,
}


def convert_value(value: Any) -> SnmpValue:
    """A pysnmp/pyasn1 value as an :class:`SnmpValue`."""
    kind = _TYPE_BY_TAG.get(value.tagSet)
    if kind is None:
        # An unknown application type: keep it visible as text rather than drop the row.
        return SnmpValue(SnmpType.OCTET_STRING, value.prettyPrint().encode())
    if kind in (SnmpType.OCTET_STRING, SnmpType.OPAQUE):
        return SnmpValue(kind, bytes(value.asOctets()))
    if kind in (SnmpType.OID, SnmpType.IPADDRESS):
        return SnmpValue(kind, value.prettyPrint())
    if kind in (SnmpType.NULL, SnmpType.NO_SUCH_OBJECT, SnmpType.NO_SUCH_INSTANCE, SnmpType.END_OF_MIB_VIEW):
        return SnmpValue(kind)
    return SnmpValue(kind, int(value))


def auth_data(auth: AuthConfig, context: str | None) -> hl.CommunityData | hl.UsmUserData:
    """pysnmp credentials for a configured auth (and a target's context, for v2c)."""
    if auth.version in ("1", "2c"):
        assert auth.community is not None  # AuthConfig requires it for v1 and v2c
        community = auth.community.get_secret_value()
        # Cisco-style community-string indexing: the context rides in the community.
        # v1/v2c is what most deployed gear speaks; the choice is the operator's (auths).
        model = 0 if auth.version == "1" else 1
        return hl.CommunityData(f"{community}@{context}" if context else community, mpModel=model)
    kwargs: dict[str, Any] = {}
    if auth.auth_protocol is not None and auth.auth_key is not None:
        kwargs["authKey"] = auth.auth_key.get_secret_value()
        kwargs["authProtocol"] = AUTH_PROTOCOLS[auth.auth_protocol]
    if auth.priv_protocol is not None and auth.priv_password is not None:
        kwargs["privKey"] = auth.priv_password.get_secret_value()
        kwargs["privProtocol"] = PRIV_PROTOCOLS[auth.priv_protocol]
    # noAuthNoPriv/authNoPriv are allowed because some devices offer nothing better.
    return hl.UsmUserData(auth.username, **kwargs)  # noqa: S509


def _flatten(var_binds: Any) -> list[Any]:
    """Var-binds as one list of (name, value) tuples; older pysnmp nested GETNEXT/GETBULK rows in lists."""
    out: list[Any] = []
    for item in var_binds:
        if isinstance(item, list):
            out.extend(item)
        else:
            out.append(item)
    return out


def _raise_for(indication: Any, status: Any, index: Any, where: str) -> None:
    if indication:
        if isinstance(indication, errind.RequestTimedOut):
            raise SnmpTimeout(f"{where}: no response") from None
        if isinstance(indication, _AUTH_INDICATIONS):
            raise SnmpAuthError(f"{where}: {indication}") from None
        if isinstance(indication, errind.TooBig):
            raise SnmpError(f"{where}: {indication}", reason="too_big") from None
        if isinstance(indication, errind.OidNotIncreasing):
            raise SnmpError(f"{where}: {indication}", reason="oid_not_increasing") from None
        raise SnmpError(f"{where}: {indication}") from None
    if status and int(status):
        code = int(status)
        reason = _ERROR_STATUS.get(code, "agent_error")
        raise SnmpAgentError(
            f"{where}: agent error-status {status.prettyPrint()}", reason=reason, error_index=int(index or 0)
        )


class PysnmpTransport:
    """One SNMP target (address, credentials, context) on a shared engine."""

    def __init__(
        self,
        engine: hl.SnmpEngine,
        *,
        address: str,
        port: int,
        auth: AuthConfig,
        context: str | None = None,
        timeout: float = 2.0,
        retries: int = 1,
        max_repetitions: int = 25,
    ) -> None:
        self._engine = engine
        self._version = auth.version
        self._address = (address, port)
        self._auth = auth_data(auth, context)
        # v3 carries the context in the PDU; v2c already put it into the community.
        self._context = (
            hl.ContextData(contextName=context.encode())
            if context and auth.version == "3"
            else hl.ContextData()
        )
        self._timeout = timeout
        self._retries = retries
        self._max_repetitions = max_repetitions
        self._target: hl.UdpTransportTarget | None = None
        self._stats = TransportStats()

    @property
    def stats(self) -> TransportStats:
        """Counters of this target."""
        return self._stats

    async def _udp_target(self) -> hl.UdpTransportTarget:
        if self._target is None:
            try:
                self._target = await hl.UdpTransportTarget.create(
                    self._address, timeout=self._timeout, retries=self._retries
                )
            except PySnmpError as exc:
                self._stats.error("resolve")
                raise SnmpError(f"{self._address[0]}: {exc}", reason="resolve") from None
        return self._target

    def _count_failure(self, exc: SnmpError) -> None:
        if isinstance(exc, SnmpTimeout):
            self._stats.timeouts += 1
        else:
            self._stats.error(exc.reason)

    @property
    def supports_bulk(self) -> bool:
        """Every version but SNMPv1."""
        return self._version != "1"

    async def _call(self, what: str, command: Any, *args: Any) -> list[VarBind]:
        target = await self._udp_target()
        where = f"{what} {self._address[0]}:{self._address[1]}"
        self._stats.requests += 1
        try:
            indication, status, index, var_binds = await command(
                self._engine, self._auth, target, self._context, *args, lookupMib=False
            )
            _raise_for(indication, status, index, where)
        except SnmpError as exc:
            self._count_failure(exc)
            raise
        except PySnmpError as exc:
            self._stats.error("snmp_error")
            raise SnmpError(f"{where}: {exc}") from None
        self._stats.responses += 1
        flat = _flatten(var_binds)
        self._stats.varbinds += len(flat)
        return [(str(name), convert_value(value)) for name, value in flat]

    async def get(self, oids: list[str]) -> list[VarBind]:
        """GET ``oids`` in one PDU."""
        return await self._call("GET", hl.get_cmd, *self._objects(oids))

    async def get_next(self, oids: list[str]) -> list[VarBind]:
        """GETNEXT in one PDU."""
        return await self._call("GETNEXT", hl.next_cmd, *self._objects(oids))

    async def get_bulk(self, oids: list[str], max_repetitions: int) -> list[VarBind]:
        """GETBULK, every OID a repeater."""
        reps = min(max_repetitions, self._max_repetitions)
        return await self._call("GETBULK", hl.bulk_cmd, 0, reps, *self._objects(oids))

    @staticmethod
    def _objects(oids: list[str]) -> list[Any]:
        return [hl.ObjectType(hl.ObjectIdentity(oid)) for oid in oids]

    async def close(self) -> None:
        """Nothing to release per target: sockets belong to the shared engine."""
        self._target = None


def new_engine() -> hl.SnmpEngine:
    """The engine for the running event loop (create once, share, close at the end)."""
    return hl.SnmpEngine()


def close_engine(engine: hl.SnmpEngine) -> None:
    """Close the engine's sockets and timers."""
    engine.close_dispatcher()
