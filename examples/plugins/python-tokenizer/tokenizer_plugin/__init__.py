"""A dagstack plugin written in Python with the standard library only."""
