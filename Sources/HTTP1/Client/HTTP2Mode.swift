/// Whether the upstream client speaks HTTP/2 (`UPSTREAM_HTTP2`).
public enum HTTP2Mode: String, Sendable, CaseIterable {
    /// Offer h2 and http/1.1 in TLS's ALPN; use h2 when the server picks it.
    case auto
    /// Never offer h2: every connection is HTTP/1.1.
    case off
    /// As `auto` for https; http:// upstreams get h2c with prior knowledge (the server
    /// must speak HTTP/2 in clear text, as nghttpd --no-tls or a gRPC-style backend does).
    case on
}
