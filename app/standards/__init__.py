"""Practice standards: pure checks of an interview record against the standard set in force.

Imports nothing from web or database code; callers pass the record, the child's other episodes and
the as-of time, and store the findings.
"""

from app.standards.checks import evaluate
from app.standards.model import EpisodeFacts, Finding, RecordFacts, Result
from app.standards.offer_and_report import episode_findings
from app.standards.params import CURRENT, StandardSet, describe

__all__ = ["CURRENT", "EpisodeFacts", "Finding", "RecordFacts", "Result", "StandardSet",
           "describe", "episode_findings", "evaluate"]
