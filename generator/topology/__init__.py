"""The topology format: its model, loading it from YAML with positions, cross-field rules,
the lock file, and the resolved `Environment` (account IDs, ARNs, AWS names)."""
