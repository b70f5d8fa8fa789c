"""A FastMCP server whose tokens come from an OpenID provider it does not run (oidc-provider-mock,
started separately): its protected resource metadata names that provider, and it accepts a
bearer token when the provider's userinfo endpoint does.

Usage: oidc_server.py PORT PROVIDER_URL. Serves MCP at http://127.0.0.1:PORT/mcp.
"""

from __future__ import annotations

import sys

import httpx
from fastmcp import FastMCP
from fastmcp.server.auth.auth import AccessToken, RemoteAuthProvider, TokenVerifier

port = int(sys.argv[1])
issuer = sys.argv[2]


class UserinfoVerifier(TokenVerifier):
    async def verify_token(self, token: str) -> AccessToken | None:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{issuer}/userinfo", headers={"Authorization": f"Bearer {token}"})
        if answer.status_code != 200:
            return None
        return AccessToken(token=token, client_id=answer.json().get("sub", "user"), scopes=[])


base = f"http://127.0.0.1:{port}"
auth = RemoteAuthProvider(token_verifier=UserinfoVerifier(), authorization_servers=[issuer], base_url=base)
mcp = FastMCP("oidc-fixture", auth=auth)


@mcp.tool
def whoami() -> str:
    """Answers whoever the provider vouches for."""
    return "hello from behind OpenID"


if __name__ == "__main__":
    mcp.run(transport="http", host="127.0.0.1", port=port, path="/mcp", show_banner=False, log_level="warning")
