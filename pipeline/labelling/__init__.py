"""The labelling workflow: export segments for annotation, import the answers, choose what to
label next, and check label quality.

- ``formats``: Label Studio, doccano and CSV files, out (with pre-annotations) and back in
  (validated against the codebook).
- ``queue``: active learning; which unlabelled segments would teach the model most.
- ``quality``: inter-annotator agreement and likely label errors (cleanlab).

Each module keeps its heavy imports (sklearn, cleanlab, krippendorff) inside functions.
"""

from __future__ import annotations

STRATEGIES = ("uncertainty", "margin", "diverse")
#: Annotator name of the rule labeller's silver labels in the store; never counts as labelled.
RULES_ANNOTATOR = "rules"
