"""The check core: config, rule selection, plugins, the engine, baselines, summary and watch.

Layer 4 of the house: it imports the execution and loading layers and the face below it, and
knows nothing of how a report is rendered or of the command line.
"""
