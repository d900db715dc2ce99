"""Errors a user can fix. Every stage's error classes derive from :class:`AttestError`."""

from __future__ import annotations


class AttestError(Exception):
    """An error caused by input, configuration or files on disk; the message says what to do."""


class CatalogError(AttestError):
    """The corpus catalog or a text it names is wrong (missing, hash mismatch, bad marker...)."""


class IndexFileError(AttestError):
    """The index on disk is missing, stale beyond repair, or corrupt."""


class InputError(AttestError):
    """A question or other user input that cannot be processed (empty, too long...)."""
