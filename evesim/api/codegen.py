"""Regenerate the committed protobuf modules from evesim's own ``.proto`` files.

Run ``python -m evesim.api.codegen`` after editing a ``.proto`` file; needs the
``test`` extra (``grpcio-tools``, pinned so the output is reproducible).
"""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
PROTO_DIR = Path(__file__).resolve().parent / "eve"


def proto_files() -> list[Path]:
    """Every ``.proto`` file of evesim, in a stable order."""
    return sorted(PROTO_DIR.rglob("*.proto"))


def generate(out_dir: Path) -> None:
    """Compile every ``.proto`` file into ``out_dir`` (``_pb2.py`` and ``.pyi``)."""
    import grpc_tools
    from grpc_tools import protoc

    include = Path(grpc_tools.__file__).parent / "_proto"
    rel = [str(p.relative_to(PACKAGE_ROOT)) for p in proto_files()]
    out_dir.mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{PACKAGE_ROOT}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        *rel,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed: " + " ".join(args))


def main() -> int:
    """Regenerate in place."""
    generate(PACKAGE_ROOT)
    print(f"regenerated {len(proto_files())} proto files under {PROTO_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
