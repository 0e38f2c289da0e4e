"""Prometheus exposition: a collector over snapshots, rendered off the event loop."""
