"""streaming_sync: sync a repository of ontology files into a database, one file at a time."""

from __future__ import annotations
