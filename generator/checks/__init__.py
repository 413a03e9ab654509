"""The checks of `gen lint`: parse, fmt, schema, references, checkov (with gen's own
CKV_GEN_* rules in `checkov_checks/`) and render --check; SARIF output."""
