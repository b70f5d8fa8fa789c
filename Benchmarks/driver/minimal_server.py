"""A minimal MCP server speaking raw newline-delimited JSON-RPC (stdlib only), so benchmarks
measure the gateway, not a framework: a tool `echo` answering with its arguments, and with
`--tools N` N-1 more tools (`tool_001` …) shaped like real ones, for listing benchmarks.

Usage: python3 minimal_server.py [--tools N]
"""
import json
import sys


def make_tools(count):
    tools = [{"name": "echo", "description": "Echo the arguments", "inputSchema": {"type": "object"}}]
    for index in range(1, count):
        tools.append({
            "name": f"tool_{index:03d}",
            "description": f"Tool number {index}: does one thing well and says so in a sentence or two.",
            "inputSchema": {
                "type": "object",
                "properties": {"path": {"type": "string", "description": "A file"}, "limit": {"type": "integer"}},
                "required": ["path"],
            },
            "annotations": {"readOnlyHint": index % 2 == 0},
        })
    return tools


def main() -> None:
    count = int(sys.argv[sys.argv.index("--tools") + 1]) if "--tools" in sys.argv else 1
    tools = make_tools(count)
    out = sys.stdout
    for line in sys.stdin:
        message = json.loads(line)
        if "id" not in message:
            continue
        method = message.get("method")
        if method == "initialize":
            result = {
                "protocolVersion": message["params"].get("protocolVersion", "2025-06-18"),
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "minimal", "version": "1"},
            }
        elif method == "tools/list":
            result = {"tools": tools}
        elif method == "tools/call":
            result = {"content": [{"type": "text", "text": json.dumps(message["params"].get("arguments"))}]}
        elif method == "ping":
            result = {}
        else:
            out.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": "nope"}}) + "\n")
            out.flush()
            continue
        out.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
