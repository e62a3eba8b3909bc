"""The board TPM (``evesim.backends.tpm``) against a real software TPM: EVE's keys, signing, quotes the
controller verifies, the vault key sealed to the PCRs, the ECDH round trip and the device cert kept in NV."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from evesim.api import tpm_attest
from evesim.api.tpm_layout import QUOTE_PCRS
from tests import swtpm

pytestmark = pytest.mark.swtpm
swtpm.require()

from evesim.backends.tpm import BoardTpm  # noqa: E402
from evesim.backends.tpm_effects import TpmError  # noqa: E402

CREDENTIAL = b"0b6e2cbc-1111-4222-8333-944455556666"
NONCE = bytes(range(32))


@pytest.fixture
def tcti(tmp_path: Path) -> Iterator[str]:
    with swtpm.running(tmp_path / "tpm") as running:
        yield running


@pytest.fixture
def chip(tcti: str) -> Iterator[BoardTpm]:
    board = BoardTpm(tcti)
    yield board
    board.close()


def extend(tcti: str, pcr: int) -> None:
    """Measure something new into ``pcr`` (as an updated boot chain would)."""
    from tpm2_pytss import ESAPI, TCTILdr
    from tpm2_pytss.constants import ESYS_TR, TPM2_ALG
    from tpm2_pytss.types import TPML_DIGEST_VALUES, TPMT_HA

    value = TPMT_HA(hashAlg=TPM2_ALG.SHA256)
    value.digest.sha256 = bytes(range(32))
    esys = ESAPI(TCTILdr.parse(tcti))
    esys.pcr_extend(getattr(ESYS_TR, f"PCR{pcr}"), TPML_DIGEST_VALUES([value]))
    esys.close()


def _raw_to_der(raw: bytes) -> bytes:
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def test_keys_are_made_once_and_kept_across_openings(tcti: str) -> None:
    first = BoardTpm(tcti)
    key = first.provision(CREDENTIAL)
    assert first.provision(CREDENTIAL).public_numbers() == key.public_numbers()
    first.close()
    again = BoardTpm(tcti)
    assert again.provision(CREDENTIAL).public_numbers() == key.public_numbers()
    ek = again.public("ek")
    assert isinstance(ek, rsa.RSAPublicKey) and ek.key_size == 2048  # the TCG EK template
    again.close()


def test_the_device_key_signs_only_with_its_credential(chip: BoardTpm) -> None:
    key = chip.provision(CREDENTIAL)
    raw = chip.sign(CREDENTIAL, b"auth container payload")
    assert len(raw) == 64
    key.verify(_raw_to_der(raw), b"auth container payload", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(TpmError, match="cannot sign with the device key"):
        chip.sign(b"wrong-credential", b"payload")


def test_a_quote_verifies_as_the_controller_checks_it(chip: BoardTpm) -> None:
    chip.provision(CREDENTIAL)
    quote = chip.quote(NONCE)
    key = chip.public("quote")
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert tuple(quote.pcr_values) == QUOTE_PCRS
    assert tpm_attest.check(quote.attest, quote.signature, key, NONCE, dict(quote.pcr_values)) is None
    assert tpm_attest.check(quote.attest, quote.signature, key, bytes(32), dict(quote.pcr_values)) == "nonce mismatch"


def test_the_vault_key_unseals_until_a_sealing_pcr_changes(tcti: str, chip: BoardTpm) -> None:
    chip.provision(CREDENTIAL)
    blob = chip.seal(b"v" * 32)
    assert chip.unseal(blob) == b"v" * 32
    chip.close()
    extend(tcti, 5)  # the GPT's PCR is not sealed to: an A/B update does not lock the vault
    reopened = BoardTpm(tcti)
    assert reopened.unseal(blob) == b"v" * 32
    reopened.close()
    extend(tcti, 8)
    locked = BoardTpm(tcti)
    assert locked.unseal(blob) is None
    with pytest.raises(TpmError, match="damaged"):
        locked.unseal(blob[:20])
    locked.close()


def test_the_ecdh_key_encrypts_and_decrypts(chip: BoardTpm) -> None:
    device = chip.provision(CREDENTIAL)
    assert chip.ecdh_round_trip(device)


def test_the_device_cert_is_kept_in_nv(chip: BoardTpm) -> None:
    assert chip.stored_cert() is None
    chip.store_cert(b"-----BEGIN CERTIFICATE-----\n" + b"A" * 1200)
    chip.store_cert(b"second")
    assert chip.stored_cert() == b"second"


def test_an_unreachable_tpm_is_a_clear_error() -> None:
    with pytest.raises(TpmError, match="cannot open the TPM at 'swtpm:host=127.0.0.1,port=1'"):
        BoardTpm("swtpm:host=127.0.0.1,port=1")
