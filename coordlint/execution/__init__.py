"""Where runs are and how they load: discovery, collecting runs on an executor (serial,
process pools with shared-memory shipping, Dask), progress.

Layer 3 of the house: it imports the loading layer and the face, never the check core.
"""
