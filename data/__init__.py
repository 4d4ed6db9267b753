"""Data shipped with phusong: commune boundaries, population, default targets."""
