"""The seed and the reveal (DRAW-PROTOCOL.md §4)."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from .encoding import PROTOCOL, canonical_json, check_text, is_hex64, parse_canonical_json, sha256_hex
from .errors import IntegrityError, InvalidInputError


def _digest_bytes(value: bytes | str, what: str) -> bytes:
    if isinstance(value, str):
        if not is_hex64(value):
            raise InvalidInputError(
                f"{what} 不是 64 位小写十六进制", f"{what} is not 64 lowercase hex digits"
            )
        return bytes.fromhex(value)
    if not isinstance(value, bytes) or len(value) != 32:
        raise InvalidInputError(f"{what} 应为 32 字节", f"{what} must be 32 bytes")
    return value


def normalize_entropy(ceremony_entropy: str) -> str:
    """Ceremony entropy as hashed and stored: NFC (may be empty when no ceremony is held)."""
    check_text(ceremony_entropy, "现场随机数", "ceremony_entropy", allow_empty=True)
    return unicodedata.normalize("NFC", ceremony_entropy)


def derive_seed(commitment_sha256: bytes | str, server_nonce: bytes, ceremony_entropy: str) -> bytes:
    """seed = SHA256(b"ssj-draw/1" 0x00 SHA256(commitment.json) server_nonce UTF8(NFC(entropy)))."""
    digest = _digest_bytes(commitment_sha256, "commitment_sha256")
    nonce = _digest_bytes(server_nonce, "server_nonce")
    entropy = normalize_entropy(ceremony_entropy)
    return hashlib.sha256(PROTOCOL.encode() + b"\x00" + digest + nonce + entropy.encode("utf-8")).digest()


@dataclass(frozen=True, slots=True)
class Reveal:
    server_nonce: bytes
    ceremony_entropy: str


def reveal_json(server_nonce: bytes, ceremony_entropy: str) -> bytes:
    """reveal.json: the nonce (hex) and the entropy (NFC)."""
    nonce = _digest_bytes(server_nonce, "server_nonce")
    return canonical_json(
        {"server_nonce": nonce.hex(), "ceremony_entropy": normalize_entropy(ceremony_entropy)}
    )


def parse_reveal(data: bytes, nonce_sha256: str | None = None) -> Reveal:
    obj = parse_canonical_json(data, "reveal.json")
    if not (isinstance(obj, dict) and set(obj) == {"server_nonce", "ceremony_entropy"}):
        raise IntegrityError("reveal.json 格式错误", "reveal.json is malformed")
    if not is_hex64(obj["server_nonce"]) or not isinstance(obj["ceremony_entropy"], str):
        raise IntegrityError("reveal.json 格式错误", "reveal.json is malformed")
    nonce = bytes.fromhex(obj["server_nonce"])
    if nonce_sha256 is not None and sha256_hex(nonce) != nonce_sha256:
        raise IntegrityError(
            "reveal.json 的 server_nonce 与承诺中的 nonce_sha256 不符",
            "server_nonce in reveal.json does not match nonce_sha256 of the commitment",
        )
    return Reveal(nonce, obj["ceremony_entropy"])
