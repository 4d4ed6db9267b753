"""phusong: field measurement of mobile and broadband coverage for provincial reporting."""
from importlib.metadata import PackageNotFoundError, version

from .errors import PhusongError

try:
    __version__ = version("phusong")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = ["PhusongError", "__version__"]
