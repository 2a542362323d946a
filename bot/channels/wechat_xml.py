"""WeChat OA message XML: safe parsing and passive text replies.

Push bodies come from the internet, so they are parsed with ``defusedxml`` and any
DTD is refused outright: WeChat never sends one, and refusing it rules out entity
expansion ("billion laughs") and external entities in one rule.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# Characters XML 1.0 forbids; a bot text containing them would make WeChat reject
# the whole reply.
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class WeChatXMLError(ValueError):
    """The body is not a well-formed, DTD-free, UTF-8 WeChat ``<xml>`` document."""


def parse_message(body: bytes) -> dict[str, str]:
    """The top-level fields of a WeChat push, e.g. ``{"MsgType": "text", ...}``.

    Raises:
        WeChatXMLError: invalid UTF-8, malformed XML, a DTD / entity, or a root
            element other than ``<xml>``.
    """
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise WeChatXMLError("body is not valid UTF-8") from None
    try:
        root = fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise WeChatXMLError(f"forbidden XML construct: {type(exc).__name__}") from None
    except ParseError as exc:
        raise WeChatXMLError(f"malformed XML: {exc}") from None
    if root.tag != "xml":
        raise WeChatXMLError(f"unexpected root element <{root.tag}>")
    return {child.tag: (child.text or "") for child in root}


def cdata(text: str) -> str:
    """``text`` as a CDATA section; a literal ``]]>`` is split across two sections."""
    clean = _INVALID_XML_CHARS.sub("", text)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_text_reply(to_user: str, from_user: str, content: str, create_time: int) -> str:
    """A passive text reply (``to_user`` is the user's OpenID, ``from_user`` our id)."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )
