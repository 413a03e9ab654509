"""Rendering: environment + access paths -> Terraform blocks -> HCL text -> files on disk
(the manifest, atomic writes, `--check`). Pure except `output` and `pipeline`."""
