"""The tokenizer plugin served over MCP on stdio, speaking the dagstack wire
(docs/wire.md) with nothing but the Python standard library: newline-delimited
JSON-RPC 2.0 on stdin/stdout, logs on stderr.

It shows that a plugin in another language is loaded by the TypeScript host
exactly like a TypeScript one: `runtime = "mcp_stdio"` in its manifest.
"""

import json
import os
import re
import sys

NAME = os.environ.get("DAGSTACK_PLUGIN_NAME", "tokenizer")
KIND = os.environ.get("DAGSTACK_PLUGIN_KIND", "tokenizer")
TOOL = f"{KIND}.{NAME}.tokenize"
TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)

state = {"config": {}, "set_up": False}


def log(message, **fields):
    sys.stderr.write(json.dumps({"level": "info", "msg": message, "plugin.name": NAME, **fields}) + "\n")
    sys.stderr.flush()


def send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def tokenize(args, meta):
    text = args.get("text")
    if not isinstance(text, str):
        raise ValueError("input.text must be a string")
    lower = bool(state["config"].get("lowercase", False))
    tokens = [t.lower() if lower else t for t in TOKEN.findall(text)]
    metadata = (meta or {}).get("dagstack.dev/metadata") or {}
    return {"tokens": tokens, "count": len(tokens), "tenant": metadata.get("tenant_id")}


def handle(method, params):
    if method == "initialize":
        return {
            "protocolVersion": params.get("protocolVersion", "2025-06-18"),
            "capabilities": {
                "tools": {},
                "experimental": {
                    "dagstack": {
                        "wire_version": "1",
                        "plugin": NAME,
                        "kind": KIND,
                        "kind_api_version": "1.0.0",
                        "hooks": ["tokenize"],
                        "extensions": ["setup", "teardown", "health"],
                    }
                },
            },
            "serverInfo": {"name": f"dagstack-plugin-{NAME}", "version": "0.3.0"},
        }
    if method == "ping":
        return {}
    if method == "dagstack/setup":
        state["config"] = json.loads(params.get("config") or "{}")
        state["set_up"] = True
        log("set up", config=state["config"])
        return {}
    if method == "dagstack/teardown":
        state["set_up"] = False
        return {"released": True}
    if method == "dagstack/health":
        return {"status": "ok"}
    if method == "tools/list":
        return {
            "tools": [
                {
                    "name": TOOL,
                    "description": "Split a text into word and punctuation tokens.",
                    "inputSchema": {
                        "type": "object",
                        "properties": {"text": {"type": "string"}},
                        "required": ["text"],
                    },
                }
            ]
        }
    if method == "tools/call":
        if params.get("name") != TOOL:
            raise LookupError(f"Tool {params.get('name')} not found")
        try:
            output = tokenize(params.get("arguments") or {}, params.get("_meta"))
        except ValueError as error:
            # A plugin error travels as a structured tool error (docs/wire.md §6).
            described = {"name": "ValueError", "code": "PLUGIN_ERROR", "message": str(error),
                         "plugin": NAME, "kind": KIND, "hook": "tokenize"}
            return {"isError": True, "content": [{"type": "text", "text": f"ValueError: {error}"}],
                    "_meta": {"dagstack.dev/error": described}}
        return {"content": [{"type": "text", "text": json.dumps(output)}], "structuredContent": output}
    raise NotImplementedError(method)


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            log("ignored a line that is not JSON")
            continue
        method = message.get("method")
        if "id" not in message:
            continue  # notifications: initialized, cancelled
        if method is None:
            continue  # a response to us; this server sends no requests
        try:
            send({"jsonrpc": "2.0", "id": message["id"], "result": handle(method, message.get("params") or {})})
        except NotImplementedError:
            send({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": f"Method not found: {method}"}})
        except LookupError as error:
            send({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32602, "message": str(error)}})
    log("stdin closed; exiting")


if __name__ == "__main__":
    main()
