extension QRCode {
    /// The symbol as a standalone SVG document: a white background covering the quiet zone and one
    /// black `<path>` holding every dark module, each row's horizontal runs merged into rectangles.
    ///
    /// The drawing is in module units (`viewBox`), scaled by `width`/`height` to `moduleSize`
    /// pixels a module, with `shape-rendering="crispEdges"` so that renderers don't blur edges.
    /// `quietZone` is the light margin in modules; the standard asks for at least 4.
    public func svg(moduleSize: Int = 8, quietZone: Int = 4) -> String {
        precondition(moduleSize > 0, "moduleSize must be positive")
        precondition(quietZone >= 0, "quietZone must not be negative")
        let side = size + 2 * quietZone
        let pixels = side * moduleSize
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard modules[y][x] else {
                    x += 1
                    continue
                }
                var end = x + 1
                while end < size, modules[y][end] { end += 1 }
                path += "M\(x + quietZone) \(y + quietZone)h\(end - x)v1h-\(end - x)z"
                x = end
            }
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(pixels)" height="\(pixels)" \
            viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">
            <rect width="\(side)" height="\(side)" fill="#ffffff"/>
            <path fill="#000000" d="\(path)"/>
            </svg>

            """
    }
}
