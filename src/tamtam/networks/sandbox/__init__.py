"""The built-in simulated network (DESIGN §5): `connector.py` speaks the contract, `store.py` is the
network's own side (a separate SQLite file), `SandboxNetwork` lets tests and benchmarks inspect it."""
