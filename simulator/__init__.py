"""Synthetic Bazhong fleet, SNMP device simulator (v2c and v3 over UDP) and its control API.

Used by the demo, the tests and the benchmarks; no production component imports it.
"""
