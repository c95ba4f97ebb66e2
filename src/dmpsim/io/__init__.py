"""Files: atomic writing, provenance (library versions, JSON-safe values) and reading result
folders. Below the experiments layer, which writes through it; knows nothing of the model."""
