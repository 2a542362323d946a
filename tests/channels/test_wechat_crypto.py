"""bot.channels.wechat_crypto against Tencent's and wechatpy's published vectors."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.signature import check_signature, sha1_signature
from bot.channels.wechat_crypto import (
    InvalidAppIdError,
    WeChatCrypto,
    WeChatCryptoError,
)
from bot.channels.wechat_xml import parse_message
from tests.channels import (
    A_APPID,
    A_ENCRYPT,
    A_KEY,
    A_MSG_SIGNATURE,
    A_NONCE,
    A_PLAINTEXT,
    A_SIGNATURE,
    A_TIMESTAMP,
    A_TOKEN,
)

# Vector B: wechatpy tests/test_crypto.py (same algorithm, a WeCom corp id).
B_TOKEN = "123456"
B_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
B_ID = "wx49f0ab532d5d035a"
B_DECRYPT_SIGNATURE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
B_DECRYPT_TIMESTAMP = "1411525903"
B_DECRYPT_NONCE = "461056294"
B_DECRYPT_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6B"
    "v283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410c"
    "vkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYF"
    "xdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6"
    "GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
B_REPLY_XML = (
    "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
    "<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n"
    "<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n"
    "<CreateTime>1411525903</CreateTime>\n</xml>"
)
B_ENCRYPT = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8Gqxlh"
    "ZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld"
    "+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDn"
    "AtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3"
)
B_MSG_SIGNATURE = "407518b7649e86ef23978113f92d27afa9296533"


# -- signatures ------------------------------------------------------------------
def test_official_get_signature_vector() -> None:
    assert sha1_signature("AAAAA", "1714036504", "1514711492") == (
        "f464b24fc39322e44b38aa78f5edd27bd1441696"
    )
    assert check_signature(
        "AAAAA", "f464b24fc39322e44b38aa78f5edd27bd1441696", "1714036504", "1514711492"
    )


def test_official_post_signature_vector() -> None:
    assert check_signature(
        "AAAAA", "899cf89e464efb63f54ddac96b0a0a235f53aa78", "1714037059", "486452656"
    )


def test_vector_a_plain_signature() -> None:
    assert check_signature(A_TOKEN, A_SIGNATURE, A_TIMESTAMP, A_NONCE)


@pytest.mark.parametrize(
    ("signature", "timestamp", "nonce"),
    [
        ("0" * 40, A_TIMESTAMP, A_NONCE),
        (A_SIGNATURE, "1409735670", A_NONCE),
        (A_SIGNATURE, A_TIMESTAMP, "1"),
        ("", A_TIMESTAMP, A_NONCE),
        (None, A_TIMESTAMP, A_NONCE),
        (A_SIGNATURE, None, A_NONCE),
        ("签名", A_TIMESTAMP, A_NONCE),
    ],
)
def test_bad_signatures_are_rejected(
    signature: str | None, timestamp: str | None, nonce: str
) -> None:
    assert not check_signature(A_TOKEN, signature, timestamp, nonce)


def test_signature_check_accepts_upper_case_hex() -> None:
    assert check_signature(A_TOKEN, A_SIGNATURE.upper(), A_TIMESTAMP, A_NONCE)


# -- vector A: decrypt with AppId check -------------------------------------------------
def test_vector_a_msg_signature_and_decrypt() -> None:
    crypto = WeChatCrypto(A_TOKEN, A_KEY, A_APPID)
    assert crypto.msg_signature(A_TIMESTAMP, A_NONCE, A_ENCRYPT) == A_MSG_SIGNATURE
    assert crypto.check_msg_signature(A_MSG_SIGNATURE, A_TIMESTAMP, A_NONCE, A_ENCRYPT)
    assert crypto.decrypt(A_ENCRYPT) == A_PLAINTEXT
    fields = parse_message(A_PLAINTEXT.encode())
    assert fields["Content"] == "abcdteT"
    assert fields["MsgId"] == "6054768590064713728"


def test_vector_a_padding_is_32_byte_pkcs7() -> None:
    raw = base64.b64decode(A_ENCRYPT)
    key = base64.b64decode(A_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = decryptor.update(raw) + decryptor.finalize()
    assert len(padded) == 320
    assert padded[-1] == 2
    assert padded.endswith(A_APPID.encode() + b"\x02\x02")


def test_vector_a_for_another_appid_is_refused() -> None:
    crypto = WeChatCrypto(A_TOKEN, A_KEY, "wx0000000000000000")
    with pytest.raises(InvalidAppIdError):
        crypto.decrypt(A_ENCRYPT)


def test_vector_a_bad_msg_signature() -> None:
    crypto = WeChatCrypto(A_TOKEN, A_KEY, A_APPID)
    assert not crypto.check_msg_signature(A_SIGNATURE, A_TIMESTAMP, A_NONCE, A_ENCRYPT)
    assert not crypto.check_msg_signature(None, A_TIMESTAMP, A_NONCE, A_ENCRYPT)
    assert not crypto.check_msg_signature(A_MSG_SIGNATURE, A_TIMESTAMP, A_NONCE, A_ENCRYPT[:-4])


# -- vector B: decrypt, and byte-exact encrypt ---------------------------------------------
def test_vector_b_decrypt() -> None:
    crypto = WeChatCrypto(B_TOKEN, B_KEY, B_ID)
    assert crypto.check_msg_signature(
        B_DECRYPT_SIGNATURE, B_DECRYPT_TIMESTAMP, B_DECRYPT_NONCE, B_DECRYPT_ENCRYPT
    )
    fields = parse_message(crypto.decrypt(B_DECRYPT_ENCRYPT).encode())
    assert fields["Content"] == "test"
    assert fields["FromUserName"] == "messense"
    assert fields["MsgId"] == "4363689963896700987"
    assert fields["AgentID"] == "1"


def test_vector_b_encrypt_is_byte_exact() -> None:
    crypto = WeChatCrypto(B_TOKEN, B_KEY, B_ID)
    assert crypto.encrypt(B_REPLY_XML, random_prefix=b"1234567890123456") == B_ENCRYPT


def test_vector_b_encrypted_reply_wrapper_is_exact() -> None:
    crypto = WeChatCrypto(B_TOKEN, B_KEY, B_ID)
    reply = crypto.encrypt_reply(
        B_REPLY_XML, nonce="461056294", timestamp="1411525903", random_prefix=b"1234567890123456"
    )
    assert reply == (
        "<xml>\n"
        f"<Encrypt><![CDATA[{B_ENCRYPT}]]></Encrypt>\n"
        f"<MsgSignature><![CDATA[{B_MSG_SIGNATURE}]]></MsgSignature>\n"
        "<TimeStamp>1411525903</TimeStamp>\n"
        "<Nonce><![CDATA[461056294]]></Nonce>\n"
        "</xml>"
    )


# -- round trips and padding edges --------------------------------------------------------
def _pad_value(encrypted: str) -> int:
    key = base64.b64decode(A_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    assert len(padded) % 32 == 0
    return padded[-1]


@pytest.mark.parametrize("pad", range(1, 33))
def test_round_trip_for_every_pad_value(pad: int) -> None:
    crypto = WeChatCrypto(A_TOKEN, A_KEY, A_APPID)
    fixed = 16 + 4 + len(A_APPID)  # random + length + appid
    length = (-(fixed + pad)) % 32 + 64  # a message that leaves exactly `pad` to fill
    message = "x" * length
    assert (fixed + len(message) + pad) % 32 == 0
    encrypted = crypto.encrypt(message)
    assert _pad_value(encrypted) == pad
    assert crypto.decrypt(encrypted) == message


@pytest.mark.parametrize("message", ["", "你好", "中文" * 700 + "😀", "<xml>]]></xml>"])
def test_round_trip_unicode(message: str) -> None:
    crypto = WeChatCrypto(A_TOKEN, A_KEY, A_APPID)
    assert crypto.decrypt(crypto.encrypt(message)) == message


def test_encryption_uses_a_random_prefix() -> None:
    crypto = WeChatCrypto(A_TOKEN, A_KEY, A_APPID)
    assert crypto.encrypt("同一条消息") != crypto.encrypt("同一条消息")


@pytest.mark.parametrize(
    "encrypted",
    [
        "not base64!!",
        base64.b64encode(b"short").decode(),
        base64.b64encode(b"\x00" * 32).decode(),  # decrypts to garbage padding
        "",
    ],
)
def test_malformed_ciphertext_is_an_error(encrypted: str) -> None:
    crypto = WeChatCrypto(A_TOKEN, A_KEY, A_APPID)
    with pytest.raises(WeChatCryptoError):
        crypto.decrypt(encrypted)


def test_length_field_beyond_the_data_is_an_error() -> None:
    crypto = WeChatCrypto(A_TOKEN, A_KEY, A_APPID)
    # a forged plaintext whose length field claims more bytes than there are
    forged = b"r" * 16 + struct.pack(">I", 10_000) + b"abc" + A_APPID.encode()
    with pytest.raises(WeChatCryptoError):
        crypto.decrypt(_encrypt_raw(forged))


def _encrypt_raw(plain: bytes) -> str:
    """AES as WeChat does it, on a plaintext we build ourselves."""
    key = base64.b64decode(A_KEY + "=")
    padder = padding.PKCS7(256).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


@pytest.mark.parametrize("key", ["short", A_KEY + "A", "!" * 43])
def test_invalid_encoding_aes_key(key: str) -> None:
    with pytest.raises(ValueError, match="EncodingAESKey"):
        WeChatCrypto(A_TOKEN, key, A_APPID)
