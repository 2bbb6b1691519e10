"""Serve one node as `acsa serve` does (used when the CLI cannot be imported yet)."""

from __future__ import annotations

import sys

import uvicorn

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.federation.worker import background_sync
from acsa.web.app import create_app

if __name__ == "__main__":
    settings = Settings()
    node = open_node(settings)
    app = create_app(node, background=[background_sync(node, settings)])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
