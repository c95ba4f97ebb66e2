"""Reports as Markdown and as one self-contained HTML file.

`document` is the document itself (`Report`) and the number formatting every report shares;
`compare`, `discovery`, `sensitivity` and `ablation` each build one workflow's report from its
result (`dmpsim.analysis.results`). Only the document is imported here: the builders draw on the
figures' labels (matplotlib), which a caller formatting a number should not pay for.
"""

from __future__ import annotations

from .document import (
    Report,
    analysis_versions,
    fmt_ci,
    fmt_effect,
    fmt_number,
    frame_for_report,
    markdown_cell,
    shell_command,
    versions_line,
)

__all__ = ["Report", "analysis_versions", "fmt_ci", "fmt_effect", "fmt_number",
           "frame_for_report", "markdown_cell", "shell_command", "versions_line"]
