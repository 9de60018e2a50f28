"""Pure text functions (no Django): normalisation, counting, entity extraction, spell check.

They run in tight loops (the composer's live checks, the listening pipeline) and are benchmarked alone,
so nothing here imports Django or touches the database.
"""
