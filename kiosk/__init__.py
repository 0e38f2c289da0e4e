"""The village service-station kiosk: Qt Quick views bound to Python QObject models.

Layout: ``config`` (typed YAML), ``services`` (SQLite store and outbox, the one MQTT
adapter, TTS, content cache, keyboard privacy, watchdog), ``models`` (all behaviour,
tested headless), ``qml`` (views that only bind), ``content`` (offline Chinese data).
"""

__version__ = "0.1.0"
