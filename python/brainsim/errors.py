"""Exceptions of the brainsim package.

- BrainsimError (a RuntimeError): a libbrainsim call failed.  ``status`` is
  the bs_status code (a Status), ``str(err)`` the library's message
  (bs_error() or the create-time err buffer), naming what failed and where.
- ExperimentError (BrainsimError and ValueError): the experiment is
  malformed (BS_ERR_PARSE) or exceeds a size limit (BS_ERR_LIMIT); the
  message names the file, line and column, the key and what is allowed.
- LibraryNotFoundError (an ImportError): libbrainsim could not be located
  or loaded; the message lists every place that was tried.  Raised when a
  Simulator is first constructed, never at ``import brainsim``.

File errors of the reader are the built-in ones: FileNotFoundError,
ValueError ("... is not a brainsim file"), KeyError for an unknown area.
"""
import enum


class Status(enum.IntEnum):
    """bs_status of include/brainsim.h (same values)."""
    OK = 0
    ERR_ARG = 1
    ERR_NOMEM = 2
    ERR_PARSE = 3
    ERR_IO = 4
    ERR_MPI = 5
    ERR_CUDA = 6
    ERR_CAPACITY = 7
    ERR_BACKEND = 8
    ERR_CHECKPOINT = 9
    ERR_STATE = 10
    ERR_NOTFOUND = 11
    ERR_LIMIT = 12
    ERR_SATURATED = 13


class BrainsimError(RuntimeError):
    """A libbrainsim call returned an error status.

    Attributes: status (Status, or the raw int for a code this package does
    not know), status_name (bs_strerror of it).
    """

    def __init__(self, message, status=None, status_name=""):
        super().__init__(message)
        try:
            self.status = Status(status) if status is not None else None
        except ValueError:
            self.status = status
        self.status_name = status_name


class ExperimentError(BrainsimError, ValueError):
    """The experiment is malformed or too large (BS_ERR_PARSE, BS_ERR_LIMIT)."""


class LibraryNotFoundError(ImportError):
    """libbrainsim could not be found or loaded; the message says where it
    looked and how to point BRAINSIM_LIBRARY at it."""


def error_for(status, message, status_name=""):
    """Returns the exception for a failed call: ExperimentError for
    BS_ERR_PARSE and BS_ERR_LIMIT, BrainsimError otherwise.  Can't fail."""
    cls = (ExperimentError if status in (Status.ERR_PARSE, Status.ERR_LIMIT)
           else BrainsimError)
    return cls(message, status, status_name)
