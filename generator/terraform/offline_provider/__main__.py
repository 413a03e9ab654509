"""``python -m generator.terraform.offline_provider <aws|time|archive>``: serve one provider."""

from __future__ import annotations

import sys

from generator.terraform.offline_provider.server import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
