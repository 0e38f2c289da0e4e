"""The SNMP v1/v2c BER codec shared by the edge agent (a manager) and the simulator (an agent)."""
