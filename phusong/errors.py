"""Error hierarchy: every error phusong raises derives from :class:`PhusongError`.

Each class also subclasses the builtin it resembles, so callers may catch either.
"""


class PhusongError(Exception):
    """Root of all phusong errors."""


class ConfigError(PhusongError, ValueError):
    """A configuration value or option is invalid."""


class BoundaryError(PhusongError, ValueError):
    """A boundary file cannot be used (missing field, no CRS, empty, outside Vietnam...)."""


class InputFormatError(PhusongError, ValueError):
    """An input file or record does not follow its documented format."""


class StoreError(PhusongError, OSError):
    """The readings store cannot be opened, read or written."""


class SchemaVersionError(StoreError):
    """The store was written by a newer phusong than this one."""


class TargetsError(PhusongError, ValueError):
    """The targets file is missing a value or holds an invalid one."""


class EstimationError(PhusongError, RuntimeError):
    """Estimation cannot proceed with the data given."""


class OutputError(PhusongError, OSError):
    """An output file or folder cannot be written, or holds something it should not."""


class DeviceError(PhusongError, OSError):
    """A modem or GNSS receiver did not answer, answered ERROR, or went away."""
