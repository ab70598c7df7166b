/// ChutesProxy: the application and `ProxyServer`, its embeddable entry point.
public enum ChutesProxy {}
