"""The channels beyond in-app: email and the group robots of 企业微信 (WeCom) and 钉钉
(DingTalk). No models here: the deliver job (``jobs.py``) hands plain values in.

A robot is an HTTP endpoint whose address carries its key, e.g.
``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`` or
``https://oapi.dingtalk.com/robot/send?access_token=…``. A message is one JSON POST
(urllib, with ``settings.SANPI_ROBOT_TIMEOUT`` seconds); it was delivered only when the
robot answers HTTP 200 with ``{"errcode": 0, …}``. Anything else raises ``ChannelError``
with a Chinese reason that never contains the address (it would reveal the key).

Formats (企业微信 群机器人配置说明; 钉钉 自定义机器人):
* WeCom: ``{"msgtype": "markdown", "markdown": {"content": …}}``, content ≤ 4096 bytes;
* DingTalk: ``{"msgtype": "text", "text": {"content": …}}``. Every message starts with
  ``【三批平台】`` so a DingTalk robot secured by the keyword “三批平台” accepts it.
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import send_mail

PREFIX = "【三批平台】"
MAX_CONTENT_BYTES = 4000  # WeCom's markdown limit is 4096 bytes
URL_MAX_LENGTH = 500
BAD_URL = (
    "机器人地址须是以 http:// 或 https:// 开头的完整网址（在群机器人的设置中复制 Webhook 地址）"
)


class ChannelError(Exception):
    """A message was not delivered. ``message`` is Chinese and safe to store and show."""

    def __init__(self, message: str, *, whole_channel: bool = False) -> None:
        super().__init__(message)
        self.message = message
        # The channel itself is down (the robot's server, the mail server), not only this
        # one message: the deliver job postpones the channel's other messages of this run.
        self.whole_channel = whole_channel


# --- webhook addresses -----------------------------------------------------------------------


def webhook_url_error(url: str) -> str:
    """What is wrong with a robot address, in Chinese; "" when it is acceptable."""
    url = (url or "").strip()
    if not url:
        return "请填写机器人地址"
    if len(url) > URL_MAX_LENGTH:
        return f"机器人地址过长（最多{URL_MAX_LENGTH}个字符）"
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "机器人地址不能包含空格或换行"
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return BAD_URL
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return BAD_URL
    if parts.username or parts.password:
        return "机器人地址不能包含用户名或密码"
    return ""


def _mask(value: str) -> str:
    if len(value) <= 4:
        return "****"
    return value[:4] + "****"


def mask_url(url: str) -> str:
    """The address with its secrets hidden: every query value and every long path
    segment (a key in the path) cut to its first 4 characters and ****."""
    try:
        parts = urllib.parse.urlsplit(url or "")
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "****"
    if not parts.scheme or not host:
        return "****"
    netloc = f"{host}:{port}" if port else host
    path = "/".join(_mask(s) if len(s) >= 16 else s for s in parts.path.split("/"))
    query = "&".join(
        f"{k}={_mask(v)}" if v else k
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, query, ""))


# --- message text ----------------------------------------------------------------------------


def absolute_link(link: str) -> str:
    """A notification's same-site path as people outside the site can open it."""
    if not link:
        return ""
    base = (getattr(settings, "SANPI_SITE_URL", "") or "").rstrip("/")
    return f"{base}{link}" if base else link


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


def robot_content(fmt: str, *, title: str, text: str, level_label: str, link: str) -> str:
    """The message a group robot posts: title, level, text and where to look."""
    url = absolute_link(link)
    if fmt == "wecom":
        color = {"提示": "info", "警告": "warning", "紧急": "warning"}.get(level_label, "comment")
        lines = [f"**{PREFIX}{title}**", f'> 级别：<font color="{color}">{level_label}</font>']
        if text:
            lines.append(text)
        if url.startswith(("http://", "https://")):
            lines.append(f"[查看详情]({url})")
        elif url:
            lines.append(f"页面：{url}")
    else:
        lines = [f"{PREFIX}{title}", f"级别：{level_label}"]
        if text:
            lines.append(text)
        if url:
            lines.append(f"查看：{url}")
    return _cut_bytes("\n".join(lines), MAX_CONTENT_BYTES)


def robot_payload(fmt: str, content: str) -> dict:
    if fmt == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": content}}
    if fmt == "dingtalk":
        return {"msgtype": "text", "text": {"content": content}}
    raise ValueError(f"unknown robot format {fmt!r}")


def email_subject(title: str) -> str:
    return f"{PREFIX}{' '.join(title.split())}"[:200]


def email_body(*, name: str, title: str, text: str, level_label: str, link: str) -> str:
    lines = [f"{name}，您好：", "", f"【{level_label}】{title}"]
    if text:
        lines += ["", text]
    url = absolute_link(link)
    if url:
        lines += ["", f"查看：{url}"]
    lines += ["", "——三批 · 开发区项目平台（系统自动发送，请勿回复）"]
    return "\n".join(lines)


# --- sending ---------------------------------------------------------------------------------


def send_email(*, address: str, subject: str, body: str) -> None:
    """One email through Django's configured backend (settings.EMAIL_*)."""
    import smtplib

    try:
        sent = send_mail(subject, body, None, [address], fail_silently=False)
    except smtplib.SMTPRecipientsRefused:
        raise ChannelError("邮件服务器拒收该收件地址") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise ChannelError(f"邮件发送失败：{_reason(exc)}", whole_channel=True) from None
    if not sent:
        raise ChannelError("邮件未发出")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A robot that answers with a redirect has not taken the message (a POST is never
    re-sent elsewhere)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _reason(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text[:200]


def post_robot(fmt: str, url: str, content: str, *, timeout: float | None = None) -> None:
    """POST one message to a group robot; ChannelError unless it was taken."""
    if timeout is None:
        timeout = float(getattr(settings, "SANPI_ROBOT_TIMEOUT", 5))
    if webhook_url_error(url):
        raise ChannelError("机器人地址无效，请系统管理员重新设置")
    data = json.dumps(robot_payload(fmt, content), ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    timed_out = ChannelError(f"机器人接口{timeout:g}秒内无应答（超时）", whole_channel=True)
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise ChannelError(f"机器人接口返回 HTTP {exc.code}", whole_channel=True) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise timed_out from None
        raise ChannelError(
            f"无法连接机器人接口：{_reason(exc.reason)}", whole_channel=True
        ) from None
    except TimeoutError:
        raise timed_out from None
    except (OSError, http.client.HTTPException) as exc:
        raise ChannelError(f"机器人接口连接出错：{_reason(exc)}", whole_channel=True) from None
    if status != 200:
        raise ChannelError(f"机器人接口返回 HTTP {status}", whole_channel=True)
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ChannelError("机器人接口的应答不是 JSON") from None
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    if errcode != 0:
        errmsg = str(answer.get("errmsg", ""))[:200] if isinstance(answer, dict) else ""
        # A wrong key, a robot removed from its group, too many messages a minute: the robot
        # refuses, so the rest of this run waits too.
        raise ChannelError(
            f"机器人接口返回错误（errcode {errcode}）：{errmsg}".rstrip("："), whole_channel=True
        )
