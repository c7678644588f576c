"""Practice standards: pure checks of an interview record against the standard set in force.

Imports nothing from web or database code; callers pass the record, the child's other episodes and
the as-of time, and store the findings.
"""

from app.standards.checks import evaluate
from app.standards.model import Finding, RecordFacts, Result
from app.standards.params import CURRENT, StandardSet, describe

__all__ = ["CURRENT", "Finding", "RecordFacts", "Result", "StandardSet", "describe", "evaluate"]
