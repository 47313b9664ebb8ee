"""The exceptions brainstore raises: one base class and five kinds, each carrying the Rust error's fields.

Every store call raises a subclass of :class:`BrainstoreError`. The attributes name what went wrong the way
the Rust ``StorageError`` does (``field`` is a path such as ``chunks[3].embedding`` or ``where.$and[1]``), so
code can react to the kind and show the message as it is.
"""

from __future__ import annotations

from typing import Any


class BrainstoreError(Exception):
    """A store operation failed; the message says why. Base of every brainstore exception.

    Errors of no more specific kind (a backend failure, an unsupported operation) are raised as this class,
    with ``operation`` naming what failed.
    """

    operation: str | None

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.operation = None
        for name, value in fields.items():
            setattr(self, name, value)


class InvalidInput(BrainstoreError, ValueError):
    """A value the caller passed is not acceptable; nothing was written.

    ``field`` is where the bad value is (``ids[2]``, ``metadatas[0].year``, ``embeddings[1][7]``, ``limit``),
    ``reason`` what is wrong with it.
    """

    field: str
    reason: str


class IncompatibleState(BrainstoreError):
    """The store's recorded state refused the operation; nothing was written.

    ``kind`` is ``dimension_mismatch`` (with ``collection``, ``stored`` and ``given`` dimensions and a
    ``remedy``), ``model_mismatch`` (``collection``, ``stored`` and ``given`` embedding spaces) or
    ``not_initialized`` (``what`` is missing, ``detail`` says more when there is more, and ``remedy`` is the
    call that sets it up, when there is one).
    """

    kind: str
    collection: str
    stored: Any
    given: Any
    what: str
    detail: str | None
    remedy: str | None


class NotFound(BrainstoreError, LookupError):
    """The named record does not exist (or belongs to another tenant, which looks the same): ``what``."""

    what: str


class Conflict(BrainstoreError):
    """The operation conflicts with the record's current state (a lost task lease, an existing collection)."""

    reason: str


class Unavailable(BrainstoreError, ConnectionError):
    """The backend could not be reached after retries, or another writer held the lock too long: ``target``."""

    target: str


__all__ = ["BrainstoreError", "Conflict", "IncompatibleState", "InvalidInput", "NotFound", "Unavailable"]
