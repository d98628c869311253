"""The gRPC channel to a Wechaty puppet service: TLS as 1.x gateways serve it, plain gRPC for the others.

A 1.x gateway serves TLS unless started with WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true;
a 0.x one never does.  Unless it is given a certificate of its own, a 1.x gateway uses the one
shipped inside wechaty-puppet-service: issued to the name "insecure" by the Wechaty community's
root certificate (below), with a private key that is published with it.  That encrypts the link
against someone who only listens, but anyone can pose as the gateway with it; a gateway's own
certificate is what makes the link safe (README: "Connect to WeChat").

As the Node.js client does, we trust that root (or WECHATY_PUPPET_SERVICE_TLS_CA_CERT) and expect
the certificate to be issued to the token's prefix before its last "_" (``insecure_abc`` →
``insecure``), or to WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME.  The token goes as the
``authorization: Wechaty <token>`` header of every call (1.x) and as ``:authority`` (0.x).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass

from grpclib.client import Channel
from grpclib.config import Configuration
from grpclib.exceptions import GRPCError
from wechaty_grpc.wechaty import PuppetStub

from bot.transport.wechaty_gateway import CONNECT_TIMEOUT, NotConnected

log = logging.getLogger(__name__)

# The Wechaty community's root certificate, as wechaty-puppet-service 1.x ships it (src/auth/ca.ts,
# Apache-2.0); it expires on 2031-08-07.
WECHATY_ROOT_CA = """-----BEGIN CERTIFICATE-----
MIIFxTCCA62gAwIBAgIUYddLAoa8JnLzJ80l2u5vGuFsaEIwDQYJKoZIhvcNAQEL
BQAwcjELMAkGA1UEBhMCVVMxFjAUBgNVBAgMDVNhbiBGcmFuY2lzY28xEjAQBgNV
BAcMCVBhbG8gQWx0bzEQMA4GA1UECgwHV2VjaGF0eTELMAkGA1UECwwCQ0ExGDAW
BgNVBAMMD3dlY2hhdHktcm9vdC1jYTAeFw0yMTA4MDkxNTQ4NTJaFw0zMTA4MDcx
NTQ4NTJaMHIxCzAJBgNVBAYTAlVTMRYwFAYDVQQIDA1TYW4gRnJhbmNpc2NvMRIw
EAYDVQQHDAlQYWxvIEFsdG8xEDAOBgNVBAoMB1dlY2hhdHkxCzAJBgNVBAsMAkNB
MRgwFgYDVQQDDA93ZWNoYXR5LXJvb3QtY2EwggIiMA0GCSqGSIb3DQEBAQUAA4IC
DwAwggIKAoICAQDulLjOZhzQ58TSQ7TfWNYgdtWhlc+5L9MnKb1nznVRhzAkZo3Q
rPLRW/HDjlv2OEbt4nFLaQgaMmc1oJTUVGDBDlrzesI/lJh7z4eA/B0z8eW7f6Cw
/TGc8lgzHvq7UIE507QYPhvfSejfW4Prw+90HJnuodriPdMGS0n9AR37JPdQm6sD
iMFeEvhHmM2SXRo/o7bll8UDZi81DoFu0XuTCx0esfCX1W5QWEmAJ5oAdjWxJ23C
lxI1+EjwBQKXGqp147VP9+pwpYW5Xxpy870kctPBHKjCAti8Bfo+Y6dyWz2UAd4w
4BFRD+18C/TgX+ECl1s9fsHMY15JitcSGgAIz8gQX1OelECaTMRTQfNaSnNW4LdS
sXMQEI9WxAU/W47GCQFmwcJeZvimqDF1QtflHSaARD3O8tlbduYqTR81LJ63bPoy
9e1pdB6w2bVOTlHunE0YaGSJERALVc1xz40QpPGcZ52mNCb3PBg462RQc77yv/QB
x/P2RC1y0zDUF2tP9J29gTatWq6+D4MhfEk2flZNyzAgJbDuT6KAIJGzOB1ZJ/MG
o1gS13eTuZYw24LElrhd1PrR6OHK+lkyYzqUPYMulUg4HzaZIDclfHKwAC4lecKm
zC5q9jJB4m4SKMKdzxvpIOfdahoqsZMg34l4AavWRqPTpwEU0C0dboNA/QIDAQAB
o1MwUTAdBgNVHQ4EFgQU0rey3QPklTOgdhMJ9VIA6KbZ5bAwHwYDVR0jBBgwFoAU
0rey3QPklTOgdhMJ9VIA6KbZ5bAwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0B
AQsFAAOCAgEAx2uyShx9kLoB1AJ8x7Vf95v6PX95L/4JkJ1WwzJ9Dlf3BcCI7VH7
Fp1dnQ6Ig7mFqSBDBAUUBWAptAnuqIDcgehI6XAEKxW8ZZRxD877pUNwZ/45tSC4
b5U5y9uaiNK7oC3LlDCsB0291b3KSOtevMeDFoh12LcliXAkdIGGTccUxrH+Cyij
cBOc+EKGJFBdLqcjLDU4M6QdMMMFOdfXyAOSpYuWGYqrxqvxQjAjvianEyMpNZWM
lajggJqiPhfF67sZTB2yzvRTmtHdUq7x+iNOVonOBcCHu31aGxa9Py91XEr9jaIQ
EBdl6sycLxKo8mxF/5tyUOns9+919aWNqTOUBmI15D68bqhhOVNyvsb7aVURIt5y
6A7Sj4gSBR9P22Ba6iFZgbvfLn0zKLzjlBonUGlSPf3rSIYUkawICtDyYPvK5mi3
mANgIChMiOw6LYCPmmUVVAWU/tDy36kr9ZV9YTIZRYAkWswsJB340whjuzvZUVaG
DgW45GPR6bGIwlFZeqCwXLput8Z3C8Sw9bE9vjlB2ZCpjPLmWV/WbDlH3J3uDjgt
9PoALW0sOPhHfYklH4/rrmsSWMYTUuGS/HqxrEER1vpIOOb0hIiAWENDT/mruq22
VqO8MHX9ebjInSxPmhYOlrSZrOgEcogyMB4Z0SOtKVqPnkWmdR5hatU=
-----END CERTIFICATE-----
"""


class PlainRefused(NotConnected):
    """The gateway does not speak TLS, and WECHATY_PUPPET_SERVICE_TLS=on forbids a plain link."""


@dataclass(frozen=True)
class Tls:
    """How to secure the link (WECHATY_PUPPET_SERVICE_TLS and the two standard variables)."""

    mode: str = "auto"  # auto: TLS, or plain (with a warning) for a gateway that speaks only that; on; off
    ca_cert: str = ""  # PEM; empty: the Wechaty community's root certificate
    server_name: str = ""  # empty: from the token (see server_name)


def server_name(token: str, host: str) -> str:
    """The name the gateway's certificate must carry: the token's prefix before its last "_", lower
    case (the Node.js client's rule), or, for a token without one, the host."""
    prefix, underscore, _ = token.rpartition("_")
    return prefix.lower() if underscore and prefix else host


def tls_context(ca_cert: str = "") -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=ca_cert or WECHATY_ROOT_CA)
    context.set_alpn_protocols(["h2"])
    # Python 3.13 verifies strictly by default, and the community's root has no key usage extension.
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    return context


def auth_metadata(token: str) -> dict[str, str]:
    return {"authorization": f"Wechaty {token}"}


async def open_channel(endpoint: str, token: str, tls: Tls) -> tuple[Channel, bool]:
    """A channel to the gateway at ``endpoint``, and whether it is encrypted.

    The token goes in clear only with ``off``, or with ``auto`` to a gateway that has shown it
    does not speak TLS and does speak plain gRPC; never with ``on``.
    """
    host, _, port_text = endpoint.rpartition(":")
    host, port = host.strip("[]"), int(port_text)
    if tls.mode != "off":
        name = tls.server_name or server_name(token, host)
        context = tls_context(tls.ca_cert)
        why_not = await _tls_handshake(host, port, context, name)
        if why_not is None:
            return _channel(host, port, token, context, name), True
        if tls.mode == "on":
            raise PlainRefused(f"it does not speak TLS ({why_not}), and WECHATY_PUPPET_SERVICE_TLS=on refuses a "
                               "plain link; set WECHATY_PUPPET_SERVICE_TLS=auto to allow one")
        await _check_plain(host, port, why_not)
        log.warning("the puppet service at %s speaks only plain gRPC: connected WITHOUT encryption, the token and "
                    "every message travel in clear (WECHATY_PUPPET_SERVICE_TLS=on would refuse this)", endpoint)
    return _channel(host, port, token), False


async def _tls_handshake(host: str, port: int, context: ssl.SSLContext, name: str) -> str | None:
    """None when a TLS handshake with a trusted certificate for ``name`` succeeds; else what the
    gateway answered that shows it does not speak TLS.  Raises NotConnected for anything else."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(
            host, port, ssl=context, server_hostname=name, ssl_handshake_timeout=CONNECT_TIMEOUT), CONNECT_TIMEOUT)
    except ssl.SSLCertVerificationError as error:
        # Never a reason to go plain: this is the case TLS is there for.
        raise NotConnected(f"its TLS certificate is not trusted for the name {name!r} ({error.verify_message}); see "
                           "WECHATY_PUPPET_SERVICE_TLS_CA_CERT and WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME") from None
    except (ssl.SSLError, ConnectionResetError, asyncio.IncompleteReadError) as error:
        return getattr(error, "reason", None) or type(error).__name__
    except (OSError, asyncio.TimeoutError) as error:
        raise NotConnected(f"no TLS handshake ({type(error).__name__})") from None
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()
    return None


async def _check_plain(host: str, port: int, why_not_tls: str) -> None:
    """That the gateway answers plain gRPC: asked without the token, any answer (even a refusal) is one."""
    probe = Channel(host, port)
    try:
        await asyncio.wait_for(PuppetStub(probe).version(), CONNECT_TIMEOUT)
    except GRPCError:
        pass
    except Exception as error:  # noqa: BLE001 - whatever it was, it is not a gateway we can talk to
        raise NotConnected(f"it speaks neither TLS ({why_not_tls}) nor plain gRPC ({type(error).__name__})") from None
    finally:
        probe.close()


def _channel(host: str, port: int, token: str, context: ssl.SSLContext | None = None, name: str = "") -> Channel:
    channel = Channel(host, port, ssl=context, config=Configuration(ssl_target_name_override=name or None))
    channel._authority = token  # 0.x gateways read the token from :authority (python-wechaty does the same)
    return channel
