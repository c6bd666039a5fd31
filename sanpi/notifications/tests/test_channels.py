"""Robot addresses: what is accepted, and how they are shown (never in full)."""

from __future__ import annotations

import pytest

from sanpi.notifications.channels import (
    ChannelError,
    mask_url,
    post_robot,
    robot_content,
    webhook_url_error,
)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a****",
        ),
        (
            "https://oapi.dingtalk.com/robot/send?access_token=e37d45ce3b13833b28f008b6cee30c1d6b",
            "https://oapi.dingtalk.com/robot/send?access_token=e37d****",
        ),
        (
            "https://open.feishu.cn/open-apis/bot/v2/hook/0123456789abcdef0123",
            "https://open.feishu.cn/open-apis/bot/v2/hook/0123****",
        ),
        ("http://10.0.0.5:8080/robot?k=ab", "http://10.0.0.5:8080/robot?k=****"),
        ("not a url", "****"),
    ],
)
def test_addresses_are_shown_masked(url, shown):
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", ""),
        ("http://127.0.0.1:8000/x", ""),
        ("", "请填写机器人地址"),
        ("ftp://example.com/x", "http:// 或 https://"),
        ("file:///etc/passwd", "http:// 或 https://"),
        ("https:///path", "http:// 或 https://"),
        ("https://example.com:99999/x", "http:// 或 https://"),
        ("https://user:pw@example.com/x", "不能包含用户名或密码"),
        ("https://example.com/a\nb", "不能包含空格或换行"),
        ("https://example.com/" + "a" * 500, "过长"),
    ],
)
def test_only_http_and_https_addresses_are_accepted(url, error):
    found = webhook_url_error(url)
    assert (error in found and found) if error else found == ""


def test_a_refused_connection_is_a_channel_error_without_the_address():
    with pytest.raises(ChannelError) as caught:
        post_robot("wecom", "http://127.0.0.1:9/send?key=secretkey123", "x", timeout=1)
    assert caught.value.message.startswith("无法连接机器人接口")
    assert "secretkey123" not in caught.value.message and caught.value.whole_channel


def test_long_content_is_cut_to_what_the_robot_accepts():
    content = robot_content("wecom", title="标题", text="字" * 3000, level_label="提示", link="")
    assert len(content.encode()) <= 4000 and content.endswith("…")
