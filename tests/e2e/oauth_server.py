"""A FastMCP server behind FastMCP's in-memory OAuth provider (dynamic registration, PKCE,
auto-approving sign-ins, revocation), plus test-only routes to look at and spoil its tokens.

Usage: oauth_server.py PORT. Serves MCP at http://127.0.0.1:PORT/mcp.
"""

from __future__ import annotations

import sys
import time

from fastmcp import FastMCP
from fastmcp.server.auth.auth import ClientRegistrationOptions, RevocationOptions
from fastmcp.server.auth.providers.in_memory import InMemoryOAuthProvider
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse

port = int(sys.argv[1])
base = f"http://127.0.0.1:{port}"
provider = InMemoryOAuthProvider(
    base_url=base,
    client_registration_options=ClientRegistrationOptions(enabled=True),
    revocation_options=RevocationOptions(enabled=True),
)
mcp = FastMCP("oauth-fixture", auth=provider)
seen: list[str] = []  # the refresh tokens the token endpoint was asked to redeem
spoiled = {"token_endpoint": False}  # when true, /token answers a proxy's HTML error page


class SpoilableTokenEndpoint:
    """ASGI middleware: while `spoiled["token_endpoint"]` holds, /token answers 502 with HTML, as
    a broken proxy in front of an authorization server would."""

    def __init__(self, app: object) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: object, send: object) -> None:
        if spoiled["token_endpoint"] and scope["type"] == "http" and scope["path"] == "/token":
            body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            headers = [(b"content-type", b"text/html"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 502, "headers": headers})  # type: ignore[operator]
            await send({"type": "http.response.body", "body": body})  # type: ignore[operator]
            return
        await self.app(scope, receive, send)  # type: ignore[operator]


@mcp.tool
def whoami() -> str:
    """Says hello to whoever holds a valid token."""
    return "hello from behind OAuth"


@mcp.custom_route("/test/state", methods=["GET"])
async def state(request: Request) -> JSONResponse:
    return JSONResponse({
        "clients": sorted(provider.clients),
        "access_tokens": sorted(provider.access_tokens),
        "refresh_tokens": sorted(provider.refresh_tokens),
    })


@mcp.custom_route("/test/expire", methods=["POST"])
async def expire(request: Request) -> JSONResponse:
    """Every access token expires now (refresh tokens stay good)."""
    for token in provider.access_tokens.values():
        token.expires_at = int(time.time()) - 1
    return JSONResponse({"expired": len(provider.access_tokens)})


@mcp.custom_route("/test/revoke-access", methods=["POST"])
async def revoke_access(request: Request) -> JSONResponse:
    """Forgets every access token but keeps the refresh tokens good (the provider's own clean-up of
    an expired access token would take its refresh token with it)."""
    count = len(provider.access_tokens)
    for token in list(provider.access_tokens):
        refresh = provider._access_to_refresh_map.pop(token, None)
        if refresh is not None:
            provider._refresh_to_access_map.pop(refresh, None)
        del provider.access_tokens[token]
    return JSONResponse({"revoked": count})


@mcp.custom_route("/test/spoil-token-endpoint", methods=["POST"])
async def spoil_token_endpoint(request: Request) -> JSONResponse:
    """`?on=1` makes /token answer garbage; `?on=0` mends it."""
    spoiled["token_endpoint"] = request.query_params.get("on") == "1"
    return JSONResponse(spoiled)


@mcp.custom_route("/test/revoke-all", methods=["POST"])
async def revoke_all(request: Request) -> JSONResponse:
    """Forgets every token, refresh tokens included: only signing in again helps."""
    count = len(provider.refresh_tokens)
    provider.access_tokens.clear()
    provider.refresh_tokens.clear()
    return JSONResponse({"revoked": count})


if __name__ == "__main__":
    mcp.run(
        transport="http", host="127.0.0.1", port=port, path="/mcp", show_banner=False, log_level="warning",
        middleware=[Middleware(SpoilableTokenEndpoint)],
    )
