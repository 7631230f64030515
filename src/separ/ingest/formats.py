"""The built-in importers. Importing this module registers them (see ``base.register``)."""

from separ.ingest import native

__all__ = ["native"]
