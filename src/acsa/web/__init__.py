"""The node's HTTP face: the REST API (``/api/v1``), the web UI (``/``) and the
federation endpoints peers call (``/federation/v1``), in one FastAPI app."""
