"""The data layer: truth, codebook, schemas, synthetic cohort, raw-file loaders and cohort I/O."""
