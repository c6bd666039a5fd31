"""SM3 (GB/T 32905-2016), HMAC-SM3 and PBKDF2-HMAC-SM3 of core.sm3: the standard's test
vectors, gmssl's own digest, a plain HMAC built on the digest, and (where the local OpenSSL
offers SM3) hashlib's results."""

from __future__ import annotations

import hashlib
import hmac
import random

import pytest
from gmssl import sm3 as gmssl_sm3

from sanpi.core import sm3

try:
    hashlib.new("sm3")
    OPENSSL_SM3 = True
except ValueError:
    OPENSSL_SM3 = False
needs_openssl_sm3 = pytest.mark.skipif(not OPENSSL_SM3, reason="OpenSSL here has no SM3")


def test_the_standards_test_vectors():
    # GB/T 32905-2016, appendix A: "abc" and "abcd" × 16 (512 bits, two blocks once padded).
    assert sm3.hexdigest(b"abc") == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert sm3.hexdigest(b"abcd" * 16) == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )
    assert sm3.digest(b"abc") == bytes.fromhex(sm3.hexdigest(b"abc"))


@pytest.mark.parametrize("length", [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000])
def test_padding_at_every_block_edge_agrees_with_gmssl(length):
    data = random.Random(length).randbytes(length)
    assert sm3.hexdigest(data) == gmssl_sm3.sm3_hash(list(data))


def _plain_hmac(key: bytes, message: bytes) -> bytes:
    """RFC 2104 written out, on the digest alone (no kept states)."""
    if len(key) > 64:
        key = sm3.digest(key)
    key = key.ljust(64, b"\0")
    inner = sm3.digest(bytes(b ^ 0x36 for b in key) + message)
    return sm3.digest(bytes(b ^ 0x5C for b in key) + inner)


def _plain_pbkdf2(password: bytes, salt: bytes, iterations: int, dklen: int) -> bytes:
    out = b""
    block = 0
    while len(out) < dklen:
        block += 1
        u = _plain_hmac(password, salt + block.to_bytes(4, "big"))
        acc = bytearray(u)
        for _ in range(iterations - 1):
            u = _plain_hmac(password, u)
            acc = bytearray(a ^ b for a, b in zip(acc, u, strict=True))
        out += bytes(acc)
    return out[:dklen]


@pytest.mark.parametrize("key_length", [0, 3, 32, 64, 65, 100])
def test_hmac_with_kept_states_is_plain_hmac(key_length):
    key = random.Random(key_length).randbytes(key_length)
    message = b"The quick brown fox jumps over the lazy dog"
    assert sm3.hmac(key, message) == _plain_hmac(key, message)


def test_hmac_known_answer():
    # Computed with OpenSSL 3's HMAC-SM3.
    assert sm3.hmac(b"key", b"The quick brown fox jumps over the lazy dog").hex() == (
        "bd4a34077888162b210645b8ebf74b9af357303789357a27c7fc457244ebd398"
    )


# Both ways of computing it: OpenSSL's where the build has SM3 (sm3.pbkdf2 then), and
# gmssl's pure Python (the fallback), which must give the same bytes.
PBKDF2S = pytest.mark.parametrize("pbkdf2", [sm3.pbkdf2, sm3.pbkdf2_pure], ids=["auto", "pure"])


@PBKDF2S
@pytest.mark.parametrize(("iterations", "dklen"), [(1, 32), (2, 32), (5, 50), (3, 16)])
def test_pbkdf2_is_the_rfc_8018_construction(pbkdf2, iterations, dklen):
    assert pbkdf2(b"password", b"salt", iterations, dklen) == _plain_pbkdf2(
        b"password", b"salt", iterations, dklen
    )


@PBKDF2S
def test_pbkdf2_known_answers(pbkdf2):
    # Computed with OpenSSL 3's PKCS5_PBKDF2_HMAC over SM3.
    assert pbkdf2(b"password", b"salt", 2).hex() == (
        "fee723a2bc966e11dffb66133f4e8df577383c78ade30e3298edbd3e54ed85b7"
    )
    assert pbkdf2(b"password", b"salt", 1000).hex() == (
        "e8b635a41dfe5aaab7cf828cff6f3608e22cac59ba16edd70e000b293d00bc91"
    )
    with pytest.raises(ValueError):
        pbkdf2(b"password", b"salt", 0)


@needs_openssl_sm3
def test_agrees_with_the_local_openssl():
    rnd = random.Random(7)
    for length in (0, 10, 64, 200):
        data = rnd.randbytes(length)
        assert sm3.digest(data) == hashlib.new("sm3", data).digest()
        assert sm3.hmac(data[:20], data) == hmac.new(data[:20], data, "sm3").digest()
    assert sm3.pbkdf2(b"p\xc3\xa4ss", b"NaCl-salt", 17, 40) == hashlib.pbkdf2_hmac(
        "sm3", b"p\xc3\xa4ss", b"NaCl-salt", 17, 40
    )
