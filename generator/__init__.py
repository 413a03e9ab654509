"""gen: render cross-account SageMaker environments from one topology file to Terraform."""

__version__ = "0.1.0"
