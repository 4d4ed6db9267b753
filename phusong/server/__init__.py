"""The collection server (``phusong serve``): probes upload their readings, planners read
the latest estimate. Needs the ``server`` extra (FastAPI, uvicorn)."""
