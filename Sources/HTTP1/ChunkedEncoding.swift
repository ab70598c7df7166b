/// The chunked transfer coding, writing side.
public enum ChunkedEncoding {
    /// Appends one chunk ("<hex size>\r\n<bytes>\r\n"); empty input appends nothing, since an
    /// empty chunk would end the body.
    public static func chunk(_ bytes: some Collection<UInt8>, into output: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        output += String(bytes.count, radix: 16).utf8
        output += [13, 10]
        output += bytes
        output += [13, 10]
    }

    /// The last chunk with no trailers.
    public static let terminator: [UInt8] = Array("0\r\n\r\n".utf8)
}
