"""What must exist before the first `terraform apply`: `gen bootstrap`.

`inventory` lists what the rendered root manages in each account, `calls` the API requests
Terraform's AWS provider makes for it (and the scope a permission must cover),
`permissions` turns those into each account's `terraform_role` policy, `template` into a
CloudFormation template for a service-managed StackSet, and `proof` proves the policies with
gen's IAM evaluator: every call allowed, writes outside denied.
"""
