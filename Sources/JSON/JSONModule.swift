/// JSON: a value type, parser and writer over UTF-8 bytes.
public enum JSONModule {}
