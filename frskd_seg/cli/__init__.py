"""Command-line entry points behind ``tools/*.py`` (kept here so tests reach
them without spawning processes)."""
