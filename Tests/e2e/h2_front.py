"""nginx as an HTTP/2 (TLS, ALPN h2) front for the scripted upstream, so the end-to-end suite
can run with the proxy talking h2 to its upstream: `E2E_UPSTREAM=h2 python3 -m pytest Tests/e2e`.

nginx terminates TLS and h2 (`listen ... ssl http2;`, Debian's nginx 1.22) and passes each
request on to the scripted upstream over HTTP/1.1 with bodies unbuffered, so streams flow
as they do from Chutes. Its access log records each request's protocol and connection
number: the suite checks that the proxy's requests arrived over HTTP/2 and shared connections.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time


def enabled():
    return os.environ.get("E2E_UPSTREAM", "") == "h2"


def _openssl(*arguments):
    subprocess.run(["openssl", *arguments], check=True, capture_output=True)


def _certificates(directory):
    """A CA and a certificate for localhost / 127.0.0.1 it signs."""
    ca_key, ca, key, csr, cert, ext = (os.path.join(directory, name) for name in
                                       ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem", "server.ext"))
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *curve, "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=e2e h2 CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _openssl("req", "-new", *curve, "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    with open(ext, "w") as file:
        file.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert)
    return ca, cert, key


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class H2Front:
    def __init__(self, upstream_port):
        self.directory = tempfile.mkdtemp(prefix="e2e-h2-")
        self.ca_file, cert, key = _certificates(self.directory)
        self.port = _free_port()
        self.access_log = os.path.join(self.directory, "access.log")
        user = "user root;" if os.geteuid() == 0 else ""
        d = self.directory
        config = f"""daemon off; master_process off; worker_processes 1; {user}
pid {d}/nginx.pid; error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format h2 '$connection $server_protocol $status $request';
    access_log {self.access_log} h2;
    client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
    upstream scripted {{ server 127.0.0.1:{upstream_port}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{self.port} ssl http2;
        ssl_certificate {cert}; ssl_certificate_key {key};
        client_max_body_size 64m;
        location / {{
            proxy_pass http://scripted; proxy_http_version 1.1; proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_buffering off; proxy_request_buffering off; proxy_read_timeout 600s;
        }}
    }}
}}
"""
        config_file = os.path.join(d, "nginx.conf")
        with open(config_file, "w") as file:
            file.write(config)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen([nginx, "-p", d, "-c", config_file],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.02)
        else:
            raise RuntimeError(f"nginx did not listen: {open(os.path.join(d, 'error.log')).read()}")

    @property
    def base_url(self):
        return f"https://localhost:{self.port}"

    def requests(self):
        """(connection number, protocol, status, request line) for each request so far."""
        with open(self.access_log) as file:
            return [line.rstrip("\n").split(" ", 3) for line in file if line.strip()]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
