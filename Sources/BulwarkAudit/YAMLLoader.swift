import CYaml

/// Reads one YAML document into plain values straight from libyaml's events: mappings become
/// `[String: Any]`, sequences `[Any]`, and every scalar stays a `String` whatever its tag ("1.10"
/// must not become 1.1).
///
/// Yams's own composer and constructor are not used, because hostile input breaks them (found by
/// FuzzLockfiles): the constructor force-unwraps every mapping key as a string, so a sequence or
/// mapping as a key (`? - uses: x`) traps; and the composer hashes every key node to find
/// duplicates, so an alias to a "billion laughs" used as a key hangs. Here a key that is not a
/// scalar is an error, aliases are shared (not copied), and the document may have at most
/// `maximumNodes` nodes with every alias counted as the whole node it stands for. libyaml itself
/// bounds the nesting (1 000 levels).
struct YAMLLoader {
    private let maximumNodes: Int
    private var nodes = 0
    /// Completed anchored nodes and their sizes (aliases count as the whole node).
    private var anchors: [String: (value: Any, size: Int)] = [:]
    private var stack: [Frame] = []
    private var document: Any?

    private struct Frame {
        var sequence: [Any]?
        var mapping: [String: Any]?
        var key: String?
        var anchor: String?
        var size = 1
    }

    private init(maximumNodes: Int) { self.maximumNodes = maximumNodes }

    /// The first document of `text` (`nil` when there is none); more than one is an error.
    static func load(_ text: String, maximumNodes: Int) throws -> Any? {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return nil }
        bytes.append(0)  // libyaml wants a non-null buffer; the terminator is not passed as input
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw AuditError("invalid YAML: cannot start the parser") }
        defer { yaml_parser_delete(&parser) }
        var loader = YAMLLoader(maximumNodes: maximumNodes)
        try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count - 1)
            var documents = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { throw Self.error(parser) }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    if documents > 1 { throw AuditError("invalid YAML at line \(line): more than one document") }
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), as: UTF8.self)
                    try loader.complete(value, size: 1, anchor: Self.string(scalar.anchor), line: line)
                case YAML_ALIAS_EVENT:
                    let name = Self.string(event.data.alias.anchor) ?? ""
                    guard let anchored = loader.anchors[name] else {
                        throw AuditError("invalid YAML at line \(line): unknown alias *\(name)")
                    }
                    try loader.complete(anchored.value, size: anchored.size, anchor: nil, line: line)
                case YAML_SEQUENCE_START_EVENT:
                    try loader.open(Frame(sequence: [], anchor: Self.string(event.data.sequence_start.anchor)), line: line)
                case YAML_MAPPING_START_EVENT:
                    try loader.open(Frame(mapping: [:], anchor: Self.string(event.data.mapping_start.anchor)), line: line)
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let frame = loader.stack.popLast() else { throw AuditError("invalid YAML at line \(line): unbalanced collection") }
                    try loader.complete(frame.sequence ?? frame.mapping ?? [:], size: frame.size, anchor: frame.anchor, line: line, counted: true)
                default:
                    break  // stream start, document end
                }
            }
        }
        return loader.document
    }

    private mutating func count(_ size: Int) throws {
        nodes += size
        guard nodes <= maximumNodes else {
            throw AuditError("invalid YAML: the document has too many nodes once its aliases are expanded")
        }
    }

    private mutating func open(_ frame: Frame, line: Int) throws {
        if let top = stack.last, top.mapping != nil, top.key == nil {
            throw AuditError("invalid YAML at line \(line): a mapping key is not a string")
        }
        try count(1)
        stack.append(frame)
    }

    /// A finished node: a scalar, an alias, or a collection that has just ended (`counted`: its
    /// nodes were counted as they came).
    private mutating func complete(_ value: Any, size: Int, anchor: String?, line: Int, counted: Bool = false) throws {
        if !counted { try count(size) }
        if let anchor { anchors[anchor] = (value, size) }
        guard var top = stack.popLast() else {
            if document == nil { document = value }
            return
        }
        top.size += size
        if top.sequence != nil {
            top.sequence?.append(value)
        } else if let key = top.key {
            top.mapping?[key] = value
            top.key = nil
        } else {
            guard let key = value as? String else {
                throw AuditError("invalid YAML at line \(line): a mapping key is not a string")
            }
            guard top.mapping?[key] == nil else {
                throw AuditError("invalid YAML at line \(line): duplicated mapping key \"\(Parse.firstLine(of: key).prefix(80))\"")
            }
            top.key = key
        }
        stack.append(top)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func error(_ parser: yaml_parser_t) -> AuditError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        if parser.error == YAML_READER_ERROR {
            return AuditError("invalid YAML: \(problem) at byte \(parser.problem_offset)")
        }
        let context = parser.context.map { " " + String(cString: $0) } ?? ""
        return AuditError("invalid YAML at line \(parser.problem_mark.line + 1): \(problem)\(context.isEmpty ? "" : " (\(context.dropFirst()))")")
    }
}
