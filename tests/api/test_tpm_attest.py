"""TPMS_ATTEST / TPMT_SIGNATURE encoding and the controller-side quote check."""

import hashlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evesim.api import certs, tpm_attest
from evesim.api.tpm_attest import Quote, QuoteFormatError

AK = certs.make_key(b"ak")
PCRS = {i: hashlib.sha256(bytes([i])).digest() for i in range(16)}


def _quote(nonce: bytes = b"n" * 12, pcrs: tuple[int, ...] = tuple(range(16))) -> Quote:
    return Quote(
        qualified_signer=tpm_attest.signer_name(AK.public_key()),
        extra_data=nonce,
        clock=1234,
        reset_count=1,
        restart_count=0,
        safe=True,
        firmware_version=0x20240101,
        pcrs=pcrs,
        pcr_digest=tpm_attest.pcr_digest([PCRS[i] for i in pcrs]),
    )


def test_layout_starts_with_magic_and_type() -> None:
    raw = tpm_attest.encode(_quote())
    assert raw[:6] == struct.pack(">IH", 0xFF544347, 0x8018)
    # PCR selection for 0..15 in the SHA-256 bank: count 1, alg 0x000B, 3 bytes, bitmap ff ff 00.
    assert b"\x00\x00\x00\x01\x00\x0b\x03\xff\xff\x00" in raw


def test_roundtrip_and_check() -> None:
    quote = _quote()
    raw = tpm_attest.encode(quote)
    assert tpm_attest.decode(raw) == quote
    sig = tpm_attest.sign(AK, raw)
    assert tpm_attest.check(raw, sig, AK.public_key(), b"n" * 12, PCRS) is None


@pytest.mark.parametrize(
    ("nonce", "pcrs", "key", "reason"),
    [
        (b"other-nonce!", PCRS, AK, "nonce"),
        (b"n" * 12, {**PCRS, 3: bytes(32)}, AK, "PCR digest"),
        (b"n" * 12, PCRS, certs.make_key(b"other"), "signature"),
    ],
)
def test_check_failures(nonce: bytes, pcrs: dict[int, bytes], key, reason: str) -> None:
    raw = tpm_attest.encode(_quote())
    sig = tpm_attest.sign(AK, raw)
    assert reason in tpm_attest.check(raw, sig, key.public_key(), nonce, pcrs)


@given(st.binary(max_size=120))
def test_garbage_is_rejected_cleanly(data: bytes) -> None:
    try:
        tpm_attest.decode(data)
    except QuoteFormatError:
        pass
    assert not tpm_attest.verify_signature(AK.public_key(), b"x", data)


@given(st.sets(st.integers(0, 23), min_size=1))
def test_pcr_selection_round_trips_through_a_quote(pcrs: set[int]) -> None:
    selection = tpm_attest.pcr_selection(pcrs)
    assert selection[:7] == struct.pack(">IHB", 1, tpm_attest.TPM_ALG_SHA256, 3)
    bits = int.from_bytes(selection[7:], "little")
    assert {i for i in range(24) if bits >> i & 1} == pcrs
    quote = Quote(b"", b"", 0, 0, 0, True, 0, tuple(sorted(pcrs)), b"")
    assert tpm_attest.decode(tpm_attest.encode(quote)).pcrs == tuple(sorted(pcrs))


@pytest.mark.parametrize("index", [-1, 24])
def test_pcr_selection_refuses_an_index_outside_the_bank(index: int) -> None:
    with pytest.raises(QuoteFormatError, match="out of range"):
        tpm_attest.pcr_selection([0, index])
