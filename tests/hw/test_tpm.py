"""The TPM model: PCRs and event log, quotes checked by the controller's verifier, sealing, keys."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.api import certs, tpm_attest
from evesim.hw import tpm
from evesim.hw.image import EveImage
from evesim.hw.tpm import PolicyError, Tpm, TpmError

V1 = EveImage.make("14.5.1", 300_000_000)
V2 = EveImage.make("14.5.2", 300_000_000)
NONCE = b"controller-nonce-0001"


def booted(image: EveImage = V1, seed: bytes = b"dev-1", firmware: str = "Generic x86") -> Tpm:
    t = Tpm(seed, serial="SN1", firmware=firmware)
    t.reset()
    tpm.measure_boot(t, image)
    return t


def test_power_on_values() -> None:
    values = Tpm(b"s").pcr_values(range(24))
    assert {i for i, v in values.items() if v == b"\xff" * 32} == set(range(17, 23))
    assert {i for i, v in values.items() if v == bytes(32)} == set(range(17)) | {23}


@given(st.integers(0, 23), st.lists(st.binary(min_size=32, max_size=32), max_size=5))
def test_extend_is_hash_chaining_and_logged(pcr: int, digests: list[bytes]) -> None:
    t = Tpm(b"s")
    expected = t.read(pcr)
    for digest in digests:
        t.extend(pcr, digest, "ev")
        expected = hashlib.sha256(expected + digest).digest()
    assert t.read(pcr) == expected
    assert [(e.pcr, e.digest) for e in t.event_log] == [(pcr, d) for d in digests]


def test_reset_restores_power_on_values_and_clears_the_log() -> None:
    t = booted()
    count = t.reset_count
    t.reset()
    assert t.pcr_values(range(24)) == Tpm(b"other").pcr_values(range(24))
    assert t.event_log == [] and t.reset_count == count + 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.extend(24, bytes(32)), "indices 0-23"),
        (lambda t: t.extend(0, b"short"), "32 bytes"),
        (lambda t: t.read(-1), "indices 0-23"),
        (lambda t: t.pcr_values([]), "non-empty"),
        (lambda t: t.quote(b"n" * 65), "at most 64"),
        (lambda t: t.sign(b"data"), "no device key"),
        (lambda t: t.device_public_key, "no device key"),
        (lambda t: t.unseal(b"garbage"), "not a sealed blob"),
    ],
)
def test_bad_requests_are_tpm_errors(call, message: str) -> None:
    with pytest.raises(TpmError, match=message):
        call(Tpm(b"s"))


def test_the_event_log_replays_to_the_pcrs() -> None:
    t = booted()
    replay = Tpm(b"verifier").pcr_values(range(24))
    for event in t.event_log:
        replay[event.pcr] = hashlib.sha256(replay[event.pcr] + event.digest).digest()
    assert replay == t.pcr_values(range(24))


def test_quote_verifies_with_the_controllers_check() -> None:
    t = booted()
    q = t.quote(NONCE, clock_ms=1234)
    assert tpm_attest.check(q.attest, q.signature, t.ak_public_key, NONCE, q.pcr_values) is None
    decoded = tpm_attest.decode(q.attest)
    assert (decoded.extra_data, decoded.pcrs, decoded.clock) == (NONCE, tpm.QUOTE_PCRS, 1234)
    assert decoded.reset_count == t.reset_count
    assert decoded.qualified_signer == tpm_attest.signer_name(t.ak_public_key)
    assert set(q.pcr_values) == set(range(16))


def test_quote_check_catches_replay_tampering_and_another_ak() -> None:
    t = booted()
    q = t.quote(NONCE)
    assert tpm_attest.check(q.attest, q.signature, t.ak_public_key, b"old-nonce", q.pcr_values) == "nonce mismatch"
    t.extend(9, bytes(32))
    assert "PCR digest" in tpm_attest.check(q.attest, q.signature, t.ak_public_key, NONCE, t.pcr_values())
    other = booted(seed=b"dev-2")
    assert "signature" in tpm_attest.check(q.attest, q.signature, other.ak_public_key, NONCE, q.pcr_values)


def test_quote_of_a_subset() -> None:
    q = booted().quote(NONCE, pcrs=(9, 8, 0))
    assert tpm_attest.decode(q.attest).pcrs == (0, 8, 9) and list(q.pcr_values) == [0, 8, 9]


def test_seal_unseal_roundtrip_and_refusal_after_extend() -> None:
    t = booted()
    blob = t.seal(b"vault-key" * 4)
    assert t.unseal(blob) == b"vault-key" * 4
    t.extend(5, bytes(32))  # PCR 5 (GPT) is not in the vault policy
    assert t.unseal(blob) == b"vault-key" * 4
    t.extend(7, bytes(32))
    with pytest.raises(PolicyError, match="policy check failed") as failure:
        t.unseal(blob)
    assert failure.value.mismatched == (7,)


def test_same_image_after_reboot_unseals_new_image_does_not() -> None:
    t = booted(V1)
    blob = t.seal(b"k" * 32)
    t.reset()
    tpm.measure_boot(t, V1)
    assert t.unseal(blob) == b"k" * 32
    t.reset()
    tpm.measure_boot(t, V2)
    with pytest.raises(PolicyError) as failure:
        t.unseal(blob)
    assert failure.value.mismatched == (8, 9)


def test_measured_boot_depends_on_image_and_board_only() -> None:
    a, b = booted(V1, seed=b"dev-a"), booted(V1, seed=b"dev-b")
    assert a.pcr_values(range(24)) == b.pcr_values(range(24))
    new = booted(V2)
    changed = {i for i in range(24) if new.read(i) != a.read(i)}
    assert changed == {8, 9}
    other_board = booted(V1, firmware="Raspberry Pi 4")
    assert {i for i in range(8) if other_board.read(i) != a.read(i)} >= {0}


def test_a_blob_is_bound_to_its_tpm() -> None:
    blob = booted(seed=b"dev-1").seal(b"secret")
    with pytest.raises(TpmError, match="another TPM") as failure:
        booted(seed=b"dev-2").unseal(blob)
    assert not isinstance(failure.value, PolicyError)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(TpmError, match="damaged"):
        booted(seed=b"dev-1").unseal(tampered)
    with pytest.raises(TpmError, match="truncated"):
        booted().unseal(blob[:20])


def test_pcr_selection_and_policy_digest() -> None:
    # Marshalled as a real TPM does (checked against swtpm in test_swtpm).
    assert tpm_attest.pcr_selection(tpm.VAULT_PCRS).hex() == "00000001000b03df7f00"
    values = booted().pcr_values(tpm.VAULT_PCRS)
    digest = tpm.policy_pcr_digest(tpm.VAULT_PCRS, values)
    pcr_hash = hashlib.sha256(b"".join(values.values())).digest()
    selection = tpm_attest.pcr_selection(tpm.VAULT_PCRS)
    assert digest == hashlib.sha256(bytes(32) + b"\x00\x00\x01\x7f" + selection + pcr_hash).digest()
    assert tpm.policy_pcr_digest(tpm.VAULT_PCRS, {**values, 3: bytes(32)}) != digest


def test_keys_and_certificates_are_deterministic_and_chain_to_the_manufacturer() -> None:
    a, again, b = Tpm(b"dev-1", serial="SN1"), Tpm(b"dev-1", serial="SN1"), Tpm(b"dev-2", serial="SN2")
    assert a.ak_cert_pem == again.ak_cert_pem and a.ek_cert_pem == again.ek_cert_pem
    assert a.ak_cert_pem != b.ak_cert_pem
    root = tpm.manufacturer_ca().cert
    for pem in (a.ek_cert_pem, a.ak_cert_pem):
        certs.verify_chain(certs.load_cert(pem), [], [root])
    assert certs.load_cert(a.ak_cert_pem).public_key() == a.ak_public_key
    assert certs.load_cert(a.ek_cert_pem).public_key() != a.ak_public_key


def test_device_key_is_persistent_and_signs() -> None:
    t = Tpm(b"dev-1")
    assert not t.device_key_exists()
    public = t.create_device_key()
    assert t.device_key_exists() and public == t.device_public_key
    with pytest.raises(TpmError, match="0x817fffff"):
        t.create_device_key()
    t.reset()
    signature = t.sign(b"payload")
    assert len(signature) == 64
    assert certs.verify_signature(public, b"payload", signature)
    assert not certs.verify_signature(public, b"other", signature)
