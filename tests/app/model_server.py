#!/usr/bin/env python3
"""A model server for dlc's download tests, on 127.0.0.1 only.

model_server.py DIR PORT_FILE LOG_FILE [--cut NAME:BYTES] [--corrupt NAME] [--die NAME:BYTES] [--no-range]

Serves DIR's files at /NAME with Range support (206, Content-Range), 404 for anything else.
--cut NAME:BYTES   the first GET of NAME announces the whole length but closes after BYTES bytes
--corrupt NAME     NAME is served with one byte (the middle one) flipped
--die NAME:BYTES   after sending BYTES bytes of NAME the whole server exits (the server is gone)
--no-range         ignore Range headers (answer 200 with the whole file)
Requests are logged to LOG_FILE as "GET /NAME range=<Range header or ->", one line each; the port
is written to PORT_FILE once the server listens. A request line with an absolute URL (a proxy
request) is served by its path and logged with "proxy " in front.
"""
import http.server
import os
import sys
import urllib.parse

args = sys.argv[1:]
root, port_file, log_file = args[0], args[1], args[2]
cut, corrupt, die, no_range = {}, set(), {}, False
i = 3
while i < len(args):
    if args[i] == "--cut":
        name, n = args[i + 1].rsplit(":", 1)
        cut[name] = int(n)
        i += 2
    elif args[i] == "--corrupt":
        corrupt.add(args[i + 1])
        i += 2
    elif args[i] == "--die":
        name, n = args[i + 1].rsplit(":", 1)
        die[name] = int(n)
        i += 2
    elif args[i] == "--no-range":
        no_range = True
        i += 1
    else:
        sys.exit("unknown argument " + args[i])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        proxied = self.path.startswith("http://")
        path = urllib.parse.urlparse(self.path).path if proxied else self.path
        name = os.path.basename(urllib.parse.unquote(path))
        with open(log_file, "a") as log:
            log.write("%sGET /%s range=%s\n" % ("proxy " if proxied else "", name, self.headers.get("Range", "-")))
        file = os.path.join(root, name)
        if not name or not os.path.isfile(file):
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        with open(file, "rb") as f:
            data = bytearray(f.read())
        if name in corrupt and data:
            data[len(data) // 2] ^= 0xFF
        start = 0
        rng = None if no_range else self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        body = bytes(data[start:])
        if name in die:
            self.wfile.write(body[: die[name]])
            self.wfile.flush()
            os._exit(0)
        if name in cut:
            n = cut.pop(name)
            self.wfile.write(body[:n])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
