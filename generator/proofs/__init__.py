"""The proofs: an IAM evaluator, policies read back from HCL, `verify` (every path allowed,
every negative denied) and `explain` (the access matrix and its diagram)."""
