"""IAM policies as data: `document.py` builds every statement and document gen writes (the
policy version, the one `Condition`, AWS's size quotas); `evaluator.py` decides requests
against documents after AWS's evaluation logic. Imports nothing from gen but its errors."""
