"""The policy documents of one environment, wherever they were read from.

`gen verify` reads them back out of the rendered HCL; `gen verify --live` reads them from AWS
with boto3. Both produce this one shape, and the access proofs evaluate only this shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.iam.document import Document


@dataclass(frozen=True)
class Source:
    """Where a document came from: a file and resource address, or an AWS API call."""

    file: str
    address: str


@dataclass(frozen=True)
class KmsGrant:
    key: str  # "training" for the training output key
    name: str
    grantee_principal: str
    operations: tuple[str, ...]
    source: Source


@dataclass
class PolicyDocuments:
    """Documents by the resource they belong to.

    - identity: role ARN -> inline policy documents of that role
    - trust: role ARN -> trust (assume role) policy
    - bucket: bucket name -> bucket policy
    - key: "training" (or a stage's volume key name) -> key policy
    - grants: KMS grants on the training key
    - ecr: repository name -> repository policy
    - groups: model package group name -> resource policy
    - sources: (kind, name) -> where it was read, kind being one of the field names above
    """

    identity: dict[str, list[Document]] = field(default_factory=dict)
    trust: dict[str, Document] = field(default_factory=dict)
    bucket: dict[str, Document] = field(default_factory=dict)
    key: dict[str, Document] = field(default_factory=dict)
    grants: list[KmsGrant] = field(default_factory=list)
    ecr: dict[str, Document] = field(default_factory=dict)
    groups: dict[str, Document] = field(default_factory=dict)
    sources: dict[tuple[str, str], Source] = field(default_factory=dict)
