"""The model table's series, recorded once a month (ODD §9): Mesa's DataCollector over
`observation.MODEL_SERIES`, filled in one pass.

Kept apart from `observation` because it needs Mesa, which reading the series' names (experiment
files, the CLI) should not pay for.
"""

from __future__ import annotations

from typing import Any

import mesa

from .observation import MODEL_SERIES, month_series


class MarketSeries(mesa.DataCollector):
    """Mesa's DataCollector over `MODEL_SERIES`, recording a month in one call (ODD §9).

    Mesa's own `collect` calls each of the 50-odd reporters and deep-copies its value, a cost
    that grows with the reporters; this one appends the values of `month_series`. Everything
    that reads a DataCollector (``model_vars``, ``get_model_vars_dataframe``, `mesa.batch_run`)
    reads this one as it reads Mesa's.
    """

    def __init__(self) -> None:
        super().__init__(model_reporters=dict(MODEL_SERIES))
        self._columns = [(name, self.model_vars[name]) for name in MODEL_SERIES]

    def collect(self, model: Any) -> None:
        # Mesa 3.5's batch_run reads the times at which the series were collected.
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        row = month_series(model)
        for name, column in self._columns:
            column.append(row[name])
