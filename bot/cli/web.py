"""`louzu web …`: the committee's web desk (bot/web/), and its staff accounts."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import click

from bot.cli import ui
from bot.cli.state import operation, settings_of


@click.group(cls=ui.Group, invoke_without_command=True,
             help="居委会网页工作台：不带子命令时启动它（默认只在本机 127.0.0.1:8080 上）。")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址；办公室网络请放在带 TLS 的反向代理后面")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="端口")
@click.pass_context
def web(ctx: click.Context, host: str, port: int) -> int | None:
    if ctx.invoked_subcommand is not None:
        return None
    settings = settings_of(ctx)
    import uvicorn

    from bot.web import make_app

    ui.say(f"网页工作台：http://{host}:{port}/ （Ctrl+C 停止）")
    # Behind a reverse proxy on this machine, X-Forwarded-For/-Proto from 127.0.0.1 are believed.
    uvicorn.run(make_app(settings), host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                log_level=settings.log_level.lower(), server_header=False)
    return 0


@web.command("add-user", help="新建网页工作台的账号，或为已有账号重设密码（密码问两遍；不是终端时从标准输入读一行）。")
@ui.argument("name", metavar="用户名", help="登录用的名字，例如 王主任")
@click.pass_context
def add_user(ctx: click.Context, name: str) -> int:
    settings = settings_of(ctx)
    if sys.stdin.isatty():
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再输一遍", err=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    from storage.staff.accounts import add_user as add

    said = ui.run(operation(settings.database_url, add, name, password, datetime.now(timezone.utc)))
    ui.say(said)
    return 0
