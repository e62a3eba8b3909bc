"""Field numbers and packages that real EVE and controllers depend on."""

from evesim.api import pb


def _number(message, field: str) -> int:
    return message.DESCRIPTOR.fields_by_name[field].number


def test_packages_are_eves() -> None:
    assert pb.auth.AuthContainer.DESCRIPTOR.full_name == "org.lfedge.eve.auth.AuthContainer"
    assert pb.config.EdgeDevConfig.DESCRIPTOR.full_name == "org.lfedge.eve.config.EdgeDevConfig"
    assert pb.uuid.UuidResponse.DESCRIPTOR.full_name == "org.lfedge.eve.uuid.UuidResponse"
    assert pb.info.ZInfoMsg.DESCRIPTOR.full_name == "org.lfedge.eve.info.ZInfoMsg"
    assert pb.common.HashAlgorithm.DESCRIPTOR.full_name == "org.lfedge.eve.common.HashAlgorithm"


def test_selected_field_numbers() -> None:
    assert _number(pb.auth.AuthContainer, "senderCertHash") == 3
    assert _number(pb.auth.AuthContainer, "senderCert") == 5
    assert _number(pb.config.EdgeDevConfig, "baseos") == 26
    assert _number(pb.config.EdgeDevConfig, "config_timestamp") == 40
    assert _number(pb.config.EdgeDevConfig, "controllercert_confighash") == 22
    assert _number(pb.config.BaseOS, "base_os_version") == 4
    assert _number(pb.info.ZInfoDevice, "last_boot_reason") == 34
    assert _number(pb.info.ZInfoDevice, "baseos_update_counter") == 43
    assert _number(pb.info.ZInfoDevSW, "subStatusProgress") == 14
    assert _number(pb.attest.AttestVolumeKey, "policy_pcr_list") == 5
    assert _number(pb.config.DatastoreConfig, "id") == 100


def test_known_bytes_roundtrip() -> None:
    # ConfigRequest{configHash="ab", integrity_token=b"\x01"} by hand: tag 1 len 2, tag 2 len 1.
    raw = b"\x0a\x02ab\x12\x01\x01"
    req = pb.config.ConfigRequest.FromString(raw)
    assert req.configHash == "ab" and req.integrity_token == b"\x01"
    assert req.SerializeToString() == raw


def test_enum_values() -> None:
    assert pb.info.BOOT_REASON_POWER_FAIL == 11
    assert pb.info.BOOT_REASON_PARSE_FAIL == 255
    assert pb.info.UPDATE_TESTING == 5
    assert pb.info.ZDEVICE_STATE_BASEOS_UPDATING == 4
    assert pb.certs.CERT_TYPE_CONTROLLER_ECDH_EXCHANGE == 3
    assert pb.attest.Z_ATTEST_REQ_TYPE_STORE_KEYS == 4
