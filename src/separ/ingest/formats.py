"""The built-in importers. Importing this module registers them (see ``base.register``)."""

from separ.ingest import followers as followers
from separ.ingest import infoops as infoops
from separ.ingest import jetstream as jetstream
from separ.ingest import native
from separ.ingest import profiles as profiles
from separ.ingest import shares as shares
from separ.ingest import twarc as twarc

__all__ = ["native"]
