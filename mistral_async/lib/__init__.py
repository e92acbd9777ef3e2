"""Hand-written helpers over the API resources."""

from .accumulate import CompletionAccumulator

__all__ = ["CompletionAccumulator"]
