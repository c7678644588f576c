"""Practice standards: pure checks of an interview record against the standard set in force.

Imports nothing from web or database code; callers pass the record, the child's other episodes and
the as-of time, and store the findings.
"""

from app.standards.checks import evaluate
from app.standards.model import EpisodeFacts, Finding, RecordFacts, Result
from app.standards.offer_and_report import episode_findings
from app.standards.params import CURRENT, SETS, StandardSet, describe, set_for, titles
from app.standards.recipients import required_recipients

__all__ = ["CURRENT", "SETS", "EpisodeFacts", "Finding", "RecordFacts", "Result", "StandardSet",
           "describe", "episode_findings", "evaluate", "required_recipients", "set_for",
           "titles"]
