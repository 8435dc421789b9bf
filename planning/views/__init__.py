"""Planning's pages, one module per concern: strategy versions (strategy.py)."""
