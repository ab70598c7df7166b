/// AsyncIO: the reactor, non-blocking sockets and TLS streams the rest of the proxy runs on.
public enum AsyncIO {}
