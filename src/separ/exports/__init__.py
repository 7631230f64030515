"""Exports: the native folder format; later dossiers, statements of reasons, transparency reports."""
