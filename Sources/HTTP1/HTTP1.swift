/// HTTP1: the HTTP/1.1 parser, writer, codecs, server and client.
public enum HTTP1 {}
