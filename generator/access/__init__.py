"""The access model: every path (who may do what on which resource, and why), and the policy
documents, grants and trust policies derived from it. Every policy statement gen renders
comes from `access.paths.access_paths` through `access.policies`."""
