"""Cross-check the TPM model against a real software TPM (swtpm, driven through tpm2-pytss).

Checks: PCR start values and extends, a real TPM2_Quote decoded and verified by
``evesim.api.tpm_attest``, and the PolicyPCR digest our seal uses (trial session, and a real
sealed object unsealing only while the PCRs match).
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from evesim.api import tpm_attest
from evesim.hw import tpm
from evesim.hw.image import EveImage
from tests import swtpm

pytestmark = pytest.mark.swtpm

os.environ.setdefault("TSS2_LOG", "all+NONE")
swtpm.require()
import tpm2_pytss as tss  # noqa: E402
from tpm2_pytss.constants import ESYS_TR, TPM2_ALG, TPM2_SE, TPMA_OBJECT  # noqa: E402
from tpm2_pytss.internal.crypto import public_to_key  # noqa: E402
from tpm2_pytss.types import (  # noqa: E402
    TPM2B_PUBLIC,
    TPM2B_SENSITIVE_CREATE,
    TPM2B_SENSITIVE_DATA,
    TPML_DIGEST_VALUES,
    TPML_PCR_SELECTION,
    TPMS_SENSITIVE_CREATE,
    TPMT_HA,
    TPMT_SYM_DEF,
)

IMAGE = EveImage.make("14.5.1", 300_000_000)
NONCE = b"controller-nonce-0001"
KEY_ATTRS = TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT | TPMA_OBJECT.SENSITIVEDATAORIGIN
KEY_ATTRS |= TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.NODA


@pytest.fixture
def esys(tmp_path: Path) -> Iterator["tss.ESAPI"]:
    """A fresh swtpm (TPM 2.0, started and cleared) on free local ports, with an ESAPI context."""
    with swtpm.running(tmp_path) as tcti:
        context = tss.ESAPI(tss.TCTILdr.parse(tcti))
        yield context
        context.close()


def _selection(pcrs) -> TPML_PCR_SELECTION:
    return TPML_PCR_SELECTION.parse("sha256:" + ",".join(str(i) for i in pcrs))


def _read_pcrs(esys, pcrs) -> dict[int, bytes]:
    values: dict[int, bytes] = {}
    pcrs = sorted(pcrs)
    for start in range(0, len(pcrs), 8):  # a TPM returns at most 8 digests per read
        chunk = pcrs[start : start + 8]
        _, _, digests = esys.pcr_read(_selection(chunk))
        values.update(zip(chunk, (bytes(d) for d in digests), strict=False))
    return values


def _extend(esys, pcr: int, digest: bytes) -> None:
    value = TPMT_HA(hashAlg=TPM2_ALG.SHA256)
    value.digest.sha256 = digest
    esys.pcr_extend(getattr(ESYS_TR, f"PCR{pcr}"), TPML_DIGEST_VALUES([value]))


def _booted_pair(esys) -> tpm.Tpm:
    """Our model after a measured boot, with the same events replayed into swtpm."""
    model = tpm.Tpm(b"swtpm-cross-check", firmware="QEMU Standard PC")
    model.reset()
    tpm.measure_boot(model, IMAGE)
    for event in model.event_log:
        _extend(esys, event.pcr, event.digest)
    return model


def test_pcr_start_values_and_extends_match(esys) -> None:
    assert _read_pcrs(esys, range(24)) == tpm.Tpm(b"fresh").pcr_values(range(24))
    model = _booted_pair(esys)
    assert _read_pcrs(esys, range(24)) == model.pcr_values(range(24))


def test_a_real_quote_decodes_and_verifies(esys) -> None:
    model = _booted_pair(esys)
    template = TPM2B_PUBLIC.parse("ecc256:ecdsa-sha256:null", objectAttributes=KEY_ATTRS | TPMA_OBJECT.SIGN_ENCRYPT)
    handle, public, *_ = esys.create_primary(None, template)
    attest, signature = esys.quote(handle, _selection(tpm.QUOTE_PCRS), NONCE)
    ecdsa = signature.signature.ecdsa  # EVE's getQuote sends (r, s) as ASN.1 DER
    raw = bytes(attest)
    r, s = (int.from_bytes(bytes(part), "big") for part in (ecdsa.signatureR, ecdsa.signatureS))
    sig = encode_dss_signature(r, s)
    assert tpm_attest.check(raw, signature.marshal(), public_to_key(public.publicArea), NONCE, {}) == \
        "quote signature does not verify"  # the TPM's own TPMT_SIGNATURE is not what EVE sends
    quote = tpm_attest.decode(raw)
    assert (quote.extra_data, quote.pcrs) == (NONCE, tpm.QUOTE_PCRS)
    ak = public_to_key(public.publicArea)
    values = _read_pcrs(esys, tpm.QUOTE_PCRS)
    assert tpm_attest.check(raw, sig, ak, NONCE, values) is None
    assert tpm_attest.check(raw, sig, ak, NONCE, model.pcr_values()) is None  # same PCRs as the model
    ours = tpm_attest.decode(model.quote(NONCE).attest)
    assert (ours.pcrs, ours.pcr_digest) == (quote.pcrs, quote.pcr_digest)
    assert tpm_attest.check(raw, sig, ak, b"other nonce", values) == "nonce mismatch"
    esys.flush_context(handle)


def _policy_session(esys, kind: "TPM2_SE") -> "ESYS_TR":
    session = esys.start_auth_session(
        ESYS_TR.NONE, ESYS_TR.NONE, kind, TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), TPM2_ALG.SHA256
    )
    esys.policy_pcr(session, None, _selection(tpm.VAULT_PCRS))
    return session


def test_policy_digest_equals_a_trial_session(esys) -> None:
    model = _booted_pair(esys)
    session = _policy_session(esys, TPM2_SE.TRIAL)
    digest = bytes(esys.policy_get_digest(session))
    esys.flush_context(session)
    assert digest == tpm.policy_pcr_digest(tpm.VAULT_PCRS, model.pcr_values(tpm.VAULT_PCRS))


def test_seal_policy_behaves_like_the_model(esys) -> None:
    model = _booted_pair(esys)
    storage = TPM2B_PUBLIC.parse("ecc256:aes128cfb", objectAttributes=KEY_ATTRS | TPMA_OBJECT.DECRYPT)
    parent, *_ = esys.create_primary(None, storage)
    sealed = TPM2B_PUBLIC.parse("keyedhash", objectAttributes=TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT)
    sealed.publicArea.authPolicy = tpm.policy_pcr_digest(tpm.VAULT_PCRS, model.pcr_values(tpm.VAULT_PCRS))
    secret = TPM2B_SENSITIVE_CREATE(TPMS_SENSITIVE_CREATE(data=TPM2B_SENSITIVE_DATA(b"vault-key")))
    private, public, *_ = esys.create(parent, secret, sealed)
    handle = esys.load(parent, private, public)
    blob = model.seal(b"vault-key")

    session = _policy_session(esys, TPM2_SE.POLICY)
    assert bytes(esys.unseal(handle, session1=session)) == model.unseal(blob) == b"vault-key"
    esys.flush_context(session)

    _extend(esys, 8, bytes(32))
    model.extend(8, bytes(32))
    session = _policy_session(esys, TPM2_SE.POLICY)
    with pytest.raises(tss.TSS2_Exception, match="policy check failed"):
        esys.unseal(handle, session1=session)
    with pytest.raises(tpm.PolicyError, match="policy check failed"):
        model.unseal(blob)
