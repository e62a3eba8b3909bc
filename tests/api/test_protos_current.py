"""The committed generated protobuf code is what the committed .proto files compile to."""

from pathlib import Path

from evesim.api import codegen


def test_generated_code_is_current(tmp_path: Path) -> None:
    codegen.generate(tmp_path)
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*_pb2.py*"))
    assert len(generated) == 2 * len(codegen.proto_files())
    stale = [
        str(rel) for rel in generated if (tmp_path / rel).read_bytes() != (codegen.PACKAGE_ROOT / rel).read_bytes()
    ]
    assert not stale, f"regenerate with `python -m evesim.api.codegen`: {stale}"


def test_no_orphan_generated_modules() -> None:
    protos = {p.with_suffix("") for p in codegen.proto_files()}
    for module in codegen.PROTO_DIR.rglob("*_pb2.py"):
        assert module.with_name(module.name.removesuffix("_pb2.py")) in protos, module
