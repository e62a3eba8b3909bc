"""The board's TPM 2.0, used as EVE's ``tpmmgr`` and ``evetpm`` use it, through tpm2-pytss and a TCTI.

Keys live at EVE's persistent handles with EVE's templates (``pkg/pillar/evetpm/tpm.go``): the device key, the EK,
the SRK, the quote key and the ECDH key, made once by ``provision`` (``pkg/pillar/cmd/tpmmgr/tpmmgr.go``
``createDeviceKey``, ``createOtherKeys``). The vault key is sealed under the SRK to a PolicyPCR of
``VAULT_PCRS``, in sessions salted with the EK and AES-128-CFB parameter encryption
(``pkg/pillar/evetpm/enc_seal.go``). Not made: the RSA AIK (only guests' vTPM uses it).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable

from cryptography.hazmat.decrepit.ciphers.modes import CFB
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from evesim.agent import effects as fx
from evesim.api.tpm_layout import (
    DEVICE_CERT_NV,
    DEVICE_KEY_HANDLE,
    ECDH_KEY_HANDLE,
    EK_HANDLE,
    QUOTE_KEY_HANDLE,
    QUOTE_PCRS,
    SRK_HANDLE,
    VAULT_PCRS,
)
from evesim.backends.tpm_effects import KeyName, TpmError

os.environ.setdefault("TSS2_LOG", "all+NONE")  # the TSS prints its own errors to stderr otherwise
from tpm2_pytss import ESAPI, TCTILdr, TSS2_Exception  # noqa: E402
from tpm2_pytss.constants import (  # noqa: E402
    ESYS_TR,
    TPM2_ALG,
    TPM2_CAP,
    TPM2_RC,
    TPM2_RH,
    TPM2_SE,
    TPM2_ST,
    TPMA_NV,
    TPMA_OBJECT,
    TPMA_SESSION,
)
from tpm2_pytss.cryptography import tpm_ecc_private_key  # noqa: E402
from tpm2_pytss.internal.crypto import public_to_key  # noqa: E402
from tpm2_pytss.types import (  # noqa: E402
    TPM2B_AUTH,
    TPM2B_DIGEST,
    TPM2B_ECC_POINT,
    TPM2B_NV_PUBLIC,
    TPM2B_PRIVATE,
    TPM2B_PUBLIC,
    TPM2B_SENSITIVE_CREATE,
    TPM2B_SENSITIVE_DATA,
    TPML_PCR_SELECTION,
    TPMS_ECC_POINT,
    TPMS_NV_PUBLIC,
    TPMS_SENSITIVE_CREATE,
    TPMT_SIG_SCHEME,
    TPMT_SYM_DEF,
    TPMT_TK_HASHCHECK,
)

HANDLES: dict[KeyName, int] = {"quote": QUOTE_KEY_HANDLE, "ecdh": ECDH_KEY_HANDLE, "ek": EK_HANDLE}
CREDENTIAL_BYTES = 7
"""``MaxPasswdLength``: the device key's auth is the credential's first 7 bytes."""
NV_CHUNK = 512
SANITY_MESSAGE = b"TPM Sanity Check, may god have mercy on us"
EK_POLICY = bytes.fromhex("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa")
"""The TCG EK credential profile's policy (PolicySecret on the endorsement hierarchy)."""

_BASE = TPMA_OBJECT.SENSITIVEDATAORIGIN | TPMA_OBJECT.USERWITHAUTH | TPMA_OBJECT.NODA
_FIXED = TPMA_OBJECT.FIXEDTPM | TPMA_OBJECT.FIXEDPARENT
_PLAIN_ECC = _BASE | TPMA_OBJECT.SIGN_ENCRYPT | TPMA_OBJECT.DECRYPT
"""``DefaultKeyParams`` and ``DefaultEcdhKeyTemplate``: ECC P-256, sign and decrypt, no scheme."""
_RESTRICTED = _FIXED | _BASE | TPMA_OBJECT.RESTRICTED
"""``DefaultSrkTemplate`` (with decrypt) and ``DefaultQuoteKeyTemplate`` (with sign)."""
_PCR_ENTROPY = "sha256:7"
"""``PcrSelection``: the creation PCRs EVE passes when making keys (they do not change the key)."""


class BoardTpm:
    """A TPM 2.0 reached through ``tcti`` (``device:/dev/tpmrm0``, ``swtpm:host=H,port=P``, …).

    Commands block; one lock serialises them (the ESAPI context is not thread-safe).
    """

    def __init__(self, tcti: str) -> None:
        self.tcti = tcti
        try:
            self._esys = ESAPI(TCTILdr.parse(tcti))
        except (TSS2_Exception, ValueError, OSError) as exc:
            raise TpmError(f"cannot open the TPM at {tcti!r}: {exc}") from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        """Release the TCTI."""
        with self._lock:
            self._esys.close()

    # -------------------------------------------------------------- keys

    def provision(self, credential: bytes) -> ec.EllipticCurvePublicKey:
        """Make the keys that are missing; the device key's public key."""
        with self._lock, _errors("provision"):
            self._ensure(EK_HANDLE, _ek_template(), ESYS_TR.ENDORSEMENT)
            self._ensure(SRK_HANDLE, _template("rsa2048:aes128cfb", _RESTRICTED | TPMA_OBJECT.DECRYPT))
            self._ensure(QUOTE_KEY_HANDLE, _template("ecc256:ecdsa-sha256:null",
                                                     _RESTRICTED | TPMA_OBJECT.SIGN_ENCRYPT))
            self._ensure(ECDH_KEY_HANDLE, _template("ecc256:null:null", _PLAIN_ECC))
            self._ensure(DEVICE_KEY_HANDLE, _template("ecc256:null:null", _PLAIN_ECC),
                         auth=credential[:CREDENTIAL_BYTES])
            key = self._public(DEVICE_KEY_HANDLE)
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise TpmError(f"the object at the device key's handle {DEVICE_KEY_HANDLE:#x} is not an EC key")
        return key

    def device_signer(self, credential: bytes) -> ec.EllipticCurvePrivateKey:
        """The device key as a private key that signs in the TPM (for certificates)."""
        handle = self._esys.tr_from_tpmpublic(DEVICE_KEY_HANDLE)
        self._esys.tr_set_auth(handle, credential[:CREDENTIAL_BYTES])
        return _Locked(tpm_ecc_private_key(self._esys, handle), self._lock)

    def sign(self, credential: bytes, data: bytes) -> bytes:
        """ECDSA-SHA256 of ``data`` with the device key: raw r‖s (``TpmSign``)."""
        digest = hashlib.sha256(data).digest()
        scheme = TPMT_SIG_SCHEME(scheme=TPM2_ALG.ECDSA)
        scheme.details.any.hashAlg = TPM2_ALG.SHA256
        ticket = TPMT_TK_HASHCHECK(tag=TPM2_ST.HASHCHECK, hierarchy=TPM2_RH.NULL)
        with self._lock, _errors("sign with the device key"):
            handle = self._esys.tr_from_tpmpublic(DEVICE_KEY_HANDLE)
            self._esys.tr_set_auth(handle, credential[:CREDENTIAL_BYTES])
            signature = self._esys.sign(handle, TPM2B_DIGEST(digest), scheme, ticket)
        return bytes(signature.signature.ecdsa.signatureR).rjust(32, b"\0") + \
            bytes(signature.signature.ecdsa.signatureS).rjust(32, b"\0")

    def public(self, key: KeyName) -> PublicKeyTypes:
        """The public key of the quote, ECDH or endorsement key."""
        with self._lock, _errors(f"read the {key} key"):
            return self._public(HANDLES[key])

    # -------------------------------------------------------------- attestation

    def quote(self, nonce: bytes) -> fx.QuoteResult:
        """PCRs 0-15 and a quote over them with the quote key, the signature ASN.1 DER as ``getQuote`` sends it."""
        with self._lock, _errors("quote"):
            values = self._pcrs(QUOTE_PCRS)
            attest, signature = self._esys.quote(self._esys.tr_from_tpmpublic(QUOTE_KEY_HANDLE), _selection(QUOTE_PCRS),
                                                 nonce, TPMT_SIG_SCHEME(scheme=TPM2_ALG.NULL))
        ecdsa = signature.signature.ecdsa
        der = encode_dss_signature(int.from_bytes(bytes(ecdsa.signatureR), "big"),
                                   int.from_bytes(bytes(ecdsa.signatureS), "big"))
        return fx.QuoteResult(bytes(attest), der, values)

    # -------------------------------------------------------------- the vault key

    def seal(self, secret: bytes) -> bytes:
        """``secret`` sealed under the SRK to today's vault PCRs: TPM2B_PRIVATE then TPM2B_PUBLIC, as EVE's NV pair."""
        with self._lock, _errors("seal the vault key"):
            trial = self._policy(TPM2_SE.TRIAL)
            policy = self._esys.policy_get_digest(trial)
            self._esys.flush_context(trial)
            template = TPM2B_PUBLIC.parse("keyedhash", objectAttributes=_FIXED | TPMA_OBJECT.ADMINWITHPOLICY)
            template.publicArea.authPolicy = policy
            sensitive = TPM2B_SENSITIVE_CREATE(TPMS_SENSITIVE_CREATE(data=TPM2B_SENSITIVE_DATA(secret)))
            session = self._salted(TPM2_SE.HMAC, TPMA_SESSION.DECRYPT)
            try:
                private, public, *_ = self._esys.create(self._esys.tr_from_tpmpublic(SRK_HANDLE), sensitive, template,
                                                        session1=session)
            finally:
                self._esys.flush_context(session)
        return private.marshal() + public.marshal()

    def unseal(self, blob: bytes) -> bytes | None:
        """The sealed secret, or None when the PCRs differ from those it was sealed to."""
        with self._lock, _errors("unseal the vault key"):
            try:
                private, used = TPM2B_PRIVATE.unmarshal(blob)
                public, _ = TPM2B_PUBLIC.unmarshal(blob[used:])
            except (TSS2_Exception, ValueError, IndexError) as exc:
                raise TpmError(f"sealed vault key is damaged: {exc}") from exc
            handle = self._esys.load(self._esys.tr_from_tpmpublic(SRK_HANDLE), private, public)
            session = self._policy(TPM2_SE.POLICY)
            try:
                return bytes(self._esys.unseal(handle, session1=session))
            except TSS2_Exception as exc:
                if exc.error == TPM2_RC.POLICY_FAIL:
                    return None
                raise
            finally:
                self._esys.flush_context(session)
                self._esys.flush_context(handle)

    # -------------------------------------------------------------- sanity

    def ecdh_round_trip(self, device_public: ec.EllipticCurvePublicKey) -> bool:
        """``EncryptDecryptUsingTpm`` both ways on tpmmgr's message: True if it comes back unchanged."""
        # the key is derived in the TPM for each direction, as EVE does (pkg/pillar/evetpm/encryptdecypt.go)
        encrypted = _aes_cfb(self._ecdh_key(device_public), SANITY_MESSAGE, encrypt=True)
        return _aes_cfb(self._ecdh_key(device_public), encrypted, encrypt=False) == SANITY_MESSAGE

    # -------------------------------------------------------------- the device cert's NV copy

    def store_cert(self, pem: bytes) -> None:
        """Keep ``pem`` in NV at ``DEVICE_CERT_NV`` (replacing what was there), as ``writeDeviceCert``."""
        with self._lock, _errors("store the device cert in NV"):
            if DEVICE_CERT_NV in self._nv_indices():
                self._esys.nv_undefine_space(self._esys.tr_from_tpmpublic(DEVICE_CERT_NV), ESYS_TR.OWNER)
            attributes = TPMA_NV.OWNERWRITE | TPMA_NV.OWNERREAD | TPMA_NV.AUTHREAD | TPMA_NV.AUTHWRITE
            public = TPM2B_NV_PUBLIC(TPMS_NV_PUBLIC(nvIndex=DEVICE_CERT_NV, nameAlg=TPM2_ALG.SHA256,
                                                    attributes=attributes, dataSize=len(pem)))
            index = self._esys.nv_define_space(b"", public)
            for offset in range(0, len(pem), NV_CHUNK):
                self._esys.nv_write(index, pem[offset:offset + NV_CHUNK], offset)

    def stored_cert(self) -> bytes | None:
        """The device cert kept in NV, or None."""
        with self._lock, _errors("read the device cert from NV"):
            if DEVICE_CERT_NV not in self._nv_indices():
                return None
            index = self._esys.tr_from_tpmpublic(DEVICE_CERT_NV)
            size = self._esys.nv_read_public(index)[0].nvPublic.dataSize
            return b"".join(bytes(self._esys.nv_read(index, min(NV_CHUNK, size - offset), offset))
                            for offset in range(0, size, NV_CHUNK))

    # -------------------------------------------------------------- inside the lock

    def _ensure(self, handle: int, template: TPM2B_PUBLIC, hierarchy: ESYS_TR = ESYS_TR.OWNER,
                auth: bytes = b"") -> None:
        if handle in self._persistent():
            return
        sensitive = TPM2B_SENSITIVE_CREATE(TPMS_SENSITIVE_CREATE(userAuth=TPM2B_AUTH(auth)))
        transient, *_ = self._esys.create_primary(sensitive, template, hierarchy,
                                                  creation_pcr=TPML_PCR_SELECTION.parse(_PCR_ENTROPY))
        try:
            self._esys.evict_control(ESYS_TR.OWNER, transient, handle)
        finally:
            self._esys.flush_context(transient)

    def _persistent(self) -> set[int]:
        return self._handles(0x81000000)

    def _nv_indices(self) -> set[int]:
        return self._handles(0x01000000)

    def _handles(self, first: int) -> set[int]:
        _, data = self._esys.get_capability(TPM2_CAP.HANDLES, first, 256)
        return {int(h) for h in data.data.handles if int(h) >> 24 == first >> 24}

    def _public(self, handle: int) -> PublicKeyTypes:
        public, *_ = self._esys.read_public(self._esys.tr_from_tpmpublic(handle))
        key: PublicKeyTypes = public_to_key(public.publicArea)
        return key

    def _pcrs(self, pcrs: Iterable[int]) -> dict[int, bytes]:
        values: dict[int, bytes] = {}
        ordered = sorted(pcrs)
        for start in range(0, len(ordered), 8):  # a TPM returns at most 8 digests per read
            chunk = ordered[start:start + 8]
            _, _, digests = self._esys.pcr_read(_selection(chunk))
            values.update(zip(chunk, (bytes(d) for d in digests), strict=True))
        return values

    def _salted(self, kind: TPM2_SE, direction: TPMA_SESSION) -> ESYS_TR:
        """A session salted with the EK, AES-128-CFB encrypting the secret on its way in or out."""
        symmetric = TPMT_SYM_DEF(algorithm=TPM2_ALG.AES)
        symmetric.keyBits.aes = 128
        symmetric.mode.aes = TPM2_ALG.CFB
        session = self._esys.start_auth_session(self._esys.tr_from_tpmpublic(EK_HANDLE), ESYS_TR.NONE, kind, symmetric,
                                                TPM2_ALG.SHA256)
        self._esys.trsess_set_attributes(session, direction | TPMA_SESSION.CONTINUESESSION)
        return session

    def _policy(self, kind: TPM2_SE) -> ESYS_TR:
        if kind == TPM2_SE.TRIAL:
            session = self._esys.start_auth_session(ESYS_TR.NONE, ESYS_TR.NONE, kind,
                                                    TPMT_SYM_DEF(algorithm=TPM2_ALG.NULL), TPM2_ALG.SHA256)
        else:
            session = self._salted(kind, TPMA_SESSION.ENCRYPT)
        self._esys.policy_pcr(session, b"", _selection(VAULT_PCRS))
        return session

    def _ecdh_key(self, peer: ec.EllipticCurvePublicKey) -> bytes:
        """``deriveEncryptDecryptKey``: ECDHZGen of the ECDH key with the device key's point, SHA-256 over X‖Y."""
        with self._lock, _errors("derive the ECDH key"):
            point = _ecc_point(peer)
            z = self._esys.ecdh_zgen(self._esys.tr_from_tpmpublic(ECDH_KEY_HANDLE), point)
        return hashlib.sha256(bytes(z.point.x).rjust(32, b"\0") + bytes(z.point.y).rjust(32, b"\0")).digest()


class _Locked(ec.EllipticCurvePrivateKey):
    """A TPM-held private key whose operations take the TPM's lock."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, lock: threading.Lock) -> None:
        self._key = key
        self._lock = lock

    def sign(self, data: bytes | bytearray | memoryview,
             signature_algorithm: ec.EllipticCurveSignatureAlgorithm) -> bytes:
        with self._lock:
            return self._key.sign(data, signature_algorithm)

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._key.public_key()

    @property
    def curve(self) -> ec.EllipticCurve:
        return self._key.curve

    @property
    def key_size(self) -> int:
        return self._key.key_size

    def exchange(self, algorithm: ec.ECDH, peer_public_key: ec.EllipticCurvePublicKey) -> bytes:
        raise TpmError("the device key is not used for key exchange")

    def private_numbers(self) -> ec.EllipticCurvePrivateNumbers:
        raise TpmError("a TPM key's private part never leaves the TPM")

    def private_bytes(self, encoding: serialization.Encoding, format: serialization.PrivateFormat,
                      encryption_algorithm: serialization.KeySerializationEncryption) -> bytes:
        raise TpmError("a TPM key's private part never leaves the TPM")

    def __copy__(self) -> _Locked:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> _Locked:
        return self

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)


class _errors:
    """Turns a TSS error into ``TpmError`` naming what was being done."""

    def __init__(self, doing: str) -> None:
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, TSS2_Exception):
            raise TpmError(f"TPM: cannot {self.doing}: {exc}") from exc


def _selection(pcrs: Iterable[int]) -> TPML_PCR_SELECTION:
    return TPML_PCR_SELECTION.parse("sha256:" + ",".join(str(i) for i in sorted(pcrs)))


def _template(kind: str, attributes: TPMA_OBJECT) -> TPM2B_PUBLIC:
    return TPM2B_PUBLIC.parse(kind, objectAttributes=attributes)


def _ek_template() -> TPM2B_PUBLIC:
    """``DefaultEkTemplate``: the TCG EK template (RSA 2048, AES-128-CFB, restricted decrypt, the EK policy)."""
    template = TPM2B_PUBLIC.parse("rsa2048:aes128cfb", objectAttributes=_FIXED | TPMA_OBJECT.SENSITIVEDATAORIGIN
                                  | TPMA_OBJECT.ADMINWITHPOLICY | TPMA_OBJECT.RESTRICTED | TPMA_OBJECT.DECRYPT)
    template.publicArea.authPolicy = EK_POLICY
    template.publicArea.unique.rsa = bytes(256)
    return template


def _ecc_point(key: ec.EllipticCurvePublicKey) -> TPM2B_ECC_POINT:
    numbers = key.public_numbers()
    return TPM2B_ECC_POINT(TPMS_ECC_POINT(x=numbers.x.to_bytes(32, "big"), y=numbers.y.to_bytes(32, "big")))


def _aes_cfb(key: bytes, data: bytes, *, encrypt: bool) -> bytes:
    """AES-256-CFB with an all-zero IV, as ``EncryptDecryptUsingTpm``."""
    cipher = Cipher(algorithms.AES(key), CFB(bytes(16)))
    operation = cipher.encryptor() if encrypt else cipher.decryptor()
    return operation.update(data) + operation.finalize()
