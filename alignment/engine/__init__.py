"""The alignment engine: pure formulas (formulas.py), the policy they read (policy.py), set-based loading of
their inputs (inputs.py), the computation over a whole portfolio or a few initiatives (compute.py), the
early-warning rules (rules.py) and the writer of the computed tables (store.py)."""
