"""Files: atomic writing, provenance (library versions, JSON-safe values), Parquet tables, and
reading result folders (a sweep folder's layout: `sweep_folder`). Below the experiments layer,
which writes through it; knows nothing of the model."""
