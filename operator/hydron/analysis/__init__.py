"""Stage 2 of the pipeline: read a checkout and say what it needs to run. Pure: no network, no subprocess."""

from .analyze import analyze
from .limits import Limits
from .models import Analysis, as_document

__all__ = ["Analysis", "Limits", "analyze", "as_document"]
