"""WeChat OA request signatures and message encryption (safe / compatible mode).

The algorithm is Tencent's WXBizMsgCrypt (docs: developers.weixin.qq.com, "消息加解密";
wechatpy ``crypto``):

* signature: SHA-1 of the lexicographically sorted, concatenated strings;
* AES-256-CBC, key = base64(EncodingAESKey + "="), IV = key[:16];
* plaintext = random(16) + len(msg) as 4-byte big-endian + msg + AppId,
  PKCS#7-padded to a multiple of **32** bytes (pad value 1..32), base64 encoded.

The sorted SHA-1 signature itself is in ``bot.channels.signature`` (Weibo uses it too).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.signature import sha1_signature
from bot.channels.wechat_xml import cdata

_BLOCK_BITS = 32 * 8  # WeChat pads to 32 bytes, not AES's 16
_RANDOM_BYTES = 16
_LENGTH = struct.Struct(">I")
_ENCODING_AES_KEY_LENGTH = 43

# The exact wrapper wechatpy renders for an encrypted passive reply.
_ENCRYPTED_REPLY = (
    "<xml>\n"
    "<Encrypt>{encrypt}</Encrypt>\n"
    "<MsgSignature>{signature}</MsgSignature>\n"
    "<TimeStamp>{timestamp}</TimeStamp>\n"
    "<Nonce>{nonce}</Nonce>\n"
    "</xml>"
)


class WeChatCryptoError(Exception):
    """A message could not be decrypted (bad base64, padding, length or UTF-8)."""


class InvalidAppIdError(WeChatCryptoError):
    """The decrypted message was encrypted for another AppId."""


class WeChatCrypto:
    """Encrypts and decrypts OA messages for one account.

    Args:
        token: the server-configuration Token (signs requests and replies).
        encoding_aes_key: the 43-character EncodingAESKey.
        appid: the account's AppId, checked on every decrypted message.
    """

    def __init__(self, token: str, encoding_aes_key: str, appid: str) -> None:
        """Derive the AES key and IV; ValueError for a malformed EncodingAESKey."""
        if len(encoding_aes_key) != _ENCODING_AES_KEY_LENGTH:
            raise ValueError(
                f"EncodingAESKey must have {_ENCODING_AES_KEY_LENGTH} characters, "
                f"got {len(encoding_aes_key)}"
            )
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("EncodingAESKey is not valid base64") from None
        self.token = token
        self.appid = appid
        self._key = key
        self._iv = key[:16]

    # -- signatures -------------------------------------------------------------
    def msg_signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        """The ``msg_signature`` of an encrypted message or reply."""
        return sha1_signature(self.token, timestamp, nonce, encrypt)

    def check_msg_signature(
        self, signature: str | None, timestamp: str, nonce: str, encrypt: str
    ) -> bool:
        """Constant-time check of a request's ``msg_signature``."""
        if not signature:
            return False
        expected = self.msg_signature(timestamp, nonce, encrypt)
        return hmac.compare_digest(expected.encode(), signature.lower().encode())

    # -- AES --------------------------------------------------------------------
    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._iv))

    def encrypt(self, message: str | bytes, random_prefix: bytes | None = None) -> str:
        """Encrypt ``message`` for this AppId; returns the base64 ``Encrypt`` value.

        ``random_prefix`` (16 bytes) exists for the byte-exact test vectors only.
        """
        body = message.encode("utf-8") if isinstance(message, str) else message
        prefix = os.urandom(_RANDOM_BYTES) if random_prefix is None else random_prefix
        if len(prefix) != _RANDOM_BYTES:
            raise ValueError("random_prefix must be 16 bytes")
        plain = prefix + _LENGTH.pack(len(body)) + body + self.appid.encode("utf-8")
        padder = padding.PKCS7(_BLOCK_BITS).padder()
        padded = padder.update(plain) + padder.finalize()
        encryptor = self._cipher().encryptor()
        encrypted = encryptor.update(padded) + encryptor.finalize()
        return base64.b64encode(encrypted).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """Decrypt an ``Encrypt`` value and check that it was meant for our AppId.

        Raises:
            WeChatCryptoError: the value is not a well-formed encrypted message.
            InvalidAppIdError: it decrypts, but for another AppId.
        """
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise WeChatCryptoError("Encrypt is not valid base64") from None
        if not raw or len(raw) % 16:
            raise WeChatCryptoError("Encrypt is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        padded = decryptor.update(raw) + decryptor.finalize()
        try:
            unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            raise WeChatCryptoError("bad padding (wrong key?)") from None
        if len(plain) < _RANDOM_BYTES + _LENGTH.size:
            raise WeChatCryptoError("decrypted message too short")
        content = plain[_RANDOM_BYTES:]
        (length,) = _LENGTH.unpack(content[: _LENGTH.size])
        end = _LENGTH.size + length
        if end > len(content):
            raise WeChatCryptoError("message length field exceeds the data")
        appid = content[end:]
        if not hmac.compare_digest(appid, self.appid.encode("utf-8")):
            raise InvalidAppIdError("message was encrypted for another AppId")
        try:
            return content[_LENGTH.size : end].decode("utf-8")
        except UnicodeDecodeError:
            raise WeChatCryptoError("decrypted message is not UTF-8") from None

    # -- passive replies -------------------------------------------------------
    def encrypt_reply(
        self,
        reply_xml: str,
        nonce: str,
        timestamp: str,
        random_prefix: bytes | None = None,
    ) -> str:
        """Encrypt a passive reply and wrap it exactly as WeChat (and wechatpy) expect."""
        encrypt = self.encrypt(reply_xml, random_prefix=random_prefix)
        signature = self.msg_signature(timestamp, nonce, encrypt)
        return _ENCRYPTED_REPLY.format(
            encrypt=cdata(encrypt),
            signature=cdata(signature),
            timestamp=timestamp,
            nonce=cdata(nonce),
        )
