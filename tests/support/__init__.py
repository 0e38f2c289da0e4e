"""Helpers that start the real parts (mosquitto, snmpd, prometheus) for tests."""
