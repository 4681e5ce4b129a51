"""Worker entry points: the processes that run workflows and activities."""
