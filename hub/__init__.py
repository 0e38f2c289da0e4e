"""The central hub: MQTT ingest into a session model of the fleet, exposed to Prometheus.

Layout: ``app`` (factory) and ``keys`` (AppKeys); ``ingest/`` (paho link, thread
hand-off, dispatch, commands); ``state`` (sessions), ``series`` (BIRTH definitions to
families) and ``snapshot`` (frozen views); ``metrics/`` (collector, exposition);
``routes`` (HTTP); ``config`` and ``cli``. Later parts (store, work orders, alarms,
rollouts, REST API) slot in beside these.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cunlink")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
