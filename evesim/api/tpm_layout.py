"""EVE's on-TPM layout (``pkg/pillar/evetpm/tpm.go``): persistent key handles, NV indices and PCR selections."""

from __future__ import annotations

EK_HANDLE = 0x81000001
"""``TpmEKHdl``: the endorsement key (TCG EK template, RSA 2048)."""
SRK_HANDLE = 0x81000002
"""``TpmSRKHdl``: the storage root key, parent of the sealed vault key."""
QUOTE_KEY_HANDLE = 0x81000004
"""``TpmQuoteKeyHdl``: ECC P-256 restricted signing key for PCR quotes."""
ECDH_KEY_HANDLE = 0x81000005
"""``TpmEcdhKeyHdl``: ECC P-256 key for ECDH key derivation."""
DEVICE_KEY_HANDLE = 0x817FFFFF
"""``TpmDeviceKeyHdl``: the device identity key."""
DEVICE_CERT_NV = 0x1500000
"""``TpmDeviceCertHdl``: the NV copy of the device cert."""
QUOTE_PCRS = tuple(range(16))
"""``PcrListForQuote``: PCRs EVE quotes during attestation."""
VAULT_PCRS = (0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14)
"""``DefaultDiskKeySealingPCRs``: PCRs sealing the vault key (0-15 without 5, the GPT, and 15)."""
