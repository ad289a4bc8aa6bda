#!/usr/bin/python3
"""A real oslo.messaging RPCClient, driven by the Java tests.

Reads one JSON object on stdin:
  {"url": "rabbit://guest:guest@127.0.0.1:5672/", "exchange": "nova", "topic": "compute", "server": "host1",
   "method": "ping", "args": {...}, "version": "1.1", "namespace": "baseapi" | null,
   "cast": false, "fanout": false, "timeout": 60, "call_monitor_timeout": null, "context": {...}}
Prints one JSON object on stdout:
  {"result": <the call's result>}  or  {"cast": "sent"}
  or {"error": {"type": "RemoteError", "exc_type": ..., "value": ..., "traceback": ..., "text": str(exc)}}
and exits with os._exit, because oslo.messaging 14 leaves non-daemon threads that would keep it alive.
"""
import json
import os
import sys
import threading


def main():
    request = json.load(sys.stdin)
    watchdog = threading.Timer(float(request.get("timeout", 60)) + 30, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()

    from oslo_config import cfg
    import oslo_messaging as messaging

    messaging.set_transport_defaults(control_exchange=request.get("exchange", "nova"))
    cfg.CONF([], project="imginject-test")
    transport = messaging.get_rpc_transport(cfg.CONF, url=request["url"])
    target = messaging.Target(topic=request.get("topic", "compute"), server=request.get("server"),
                              namespace=request.get("namespace"), fanout=request.get("fanout", False))
    client = messaging.RPCClient(transport, target)
    prepare = {"timeout": request.get("timeout", 60)}
    if request.get("version"):
        prepare["version"] = request["version"]
    if request.get("call_monitor_timeout"):
        prepare["call_monitor_timeout"] = request["call_monitor_timeout"]
    client = client.prepare(**prepare)
    context = request.get("context", {"user_id": "u-1", "project_id": "p-1", "request_id": "req-test"})
    try:
        if request.get("cast"):
            client.cast(context, request["method"], **request.get("args", {}))
            out = {"cast": "sent"}
        else:
            out = {"result": client.call(context, request["method"], **request.get("args", {}))}
    except messaging.RemoteError as e:
        out = {"error": {"type": "RemoteError", "exc_type": e.exc_type, "value": e.value, "text": str(e)}}
    except Exception as e:  # MessagingTimeout and anything else the client raises
        out = {"error": {"type": type(e).__name__, "text": str(e)}}
    sys.stdout.write(json.dumps(out))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
