"""AWS: boto3 sessions into each account (`session`), `discover` (facts only AWS knows, into
the lock file) and `live` (`verify --live`: drift and proofs on the live documents)."""
