"""SNMP access behind one small Protocol, so the poller never sees pysnmp."""

from edge_agent.snmp.transport import SnmpTransport, SnmpType, SnmpValue, TransportStats, VarBind

__all__ = ["SnmpTransport", "SnmpType", "SnmpValue", "TransportStats", "VarBind"]
