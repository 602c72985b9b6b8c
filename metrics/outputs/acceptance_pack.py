"""The three files of the acceptance pack from collected AcceptanceData: the report, the 绩效自评表, the evidence zip.

On top of the writers (each imports metrics.outputs.acceptance's model), so the imports run one way.
"""

from __future__ import annotations

from metrics.outputs.acceptance import AcceptanceData, Progress, file_names
from metrics.outputs.acceptance_docx import report_docx
from metrics.outputs.evidence import evidence_zip
from metrics.outputs.self_evaluation import self_evaluation_xlsx


def build(data: AcceptanceData, progress: Progress | None = None) -> dict[str, bytes]:
    """The three files, by file name."""
    step = progress or (lambda fraction, message: None)
    names = file_names(data.as_of, data.lang)
    step(0.45, names["report"])
    files = {names["report"]: report_docx(data)}
    step(0.55, names["self_eval"])
    files[names["self_eval"]] = self_evaluation_xlsx(data)
    files[names["pack"]] = evidence_zip(data, step)
    step(1.0, "")
    return files


