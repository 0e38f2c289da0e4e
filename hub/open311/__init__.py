"""Open311 GeoReport v2 (JSON) over the hub's work orders."""
