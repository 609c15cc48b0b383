"""Report machinery: the chapter list, the pipeline that executes it, the results store, provenance."""
