"""Record the reference event-log digests again: ``python -m tests.references.record``.

Run it only in a commit that changes behaviour on purpose, and say so in that commit's message.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from tests.references.cases import CASES, HASHES, event_log_sha256


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        digests = {name: event_log_sha256(name, Path(tmp) / name) for name in CASES}
    HASHES.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n")
    for name, digest in sorted(digests.items()):
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
