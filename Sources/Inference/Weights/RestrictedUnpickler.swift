import ZIP

/// A restricted pickle machine: the opcodes of protocols 2 to 5 that a `torch.save`d state_dict
/// uses, the globals in `PickleGlobal`, and persistent ids for storages. Everything else is refused.
struct RestrictedUnpickler {
    static let maximumObjects = 50_000_000

    private let data: [UInt8]
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var objects = 0

    private(set) var tuples: [[PickleValue]] = []
    private(set) var lists: [[PickleValue]] = []
    private(set) var dicts: [PickleDict] = []
    private(set) var byteStrings: [[UInt8]] = []
    private(set) var storages: [PickledStorage] = []
    private(set) var tensors: [PickledTensor] = []

    init(_ data: [UInt8]) { self.data = data }

    func tuple(_ value: PickleValue) -> [PickleValue]? {
        if case .tuple(let i) = value { return tuples[i] }
        return nil
    }

    func dict(_ value: PickleValue) -> PickleDict? {
        if case .dict(let i) = value { return dicts[i] }
        return nil
    }

    /// Runs the program to STOP and returns the result.
    mutating func run() throws(PickleError) -> PickleValue {
        while true {
            guard position < data.count else { throw .truncated(offset: position) }
            let opcodeOffset = position
            let opcode = data[position]
            position += 1
            if opcode == UInt8(ascii: ".") {
                guard let result = stack.popLast() else { throw .noResult }
                return result
            }
            try step(opcode, at: opcodeOffset)
        }
    }

    // MARK: - Reading operands

    private mutating func take(_ count: Int) throws(PickleError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= data.count - position else { throw .truncated(offset: position) }
        defer { position += count }
        return data[position..<(position + count)]
    }

    private mutating func uint(_ count: Int) throws(PickleError) -> UInt64 {
        let bytes = try take(count)
        var value: UInt64 = 0
        for (shift, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
        return value
    }

    private mutating func line() throws(PickleError) -> String {
        guard let end = data[position...].firstIndex(of: 0x0A) else { throw .truncated(offset: position) }
        let start = position
        position = end + 1
        guard let text = String(validatingUTF8Bytes: data[start..<end]) else { throw .invalidString(offset: start) }
        return text
    }

    private mutating func utf8String(_ count: Int, at offset: Int) throws(PickleError) -> String {
        let bytes = try take(count)
        guard let text = String(validatingUTF8Bytes: bytes) else { throw .invalidString(offset: offset) }
        return text
    }

    private mutating func length(_ width: Int) throws(PickleError) -> Int {
        let value = try uint(width)
        guard value <= UInt64(data.count) else { throw .truncated(offset: position) }
        return Int(value)
    }

    // MARK: - Stack

    private mutating func pop(_ opcode: String, at offset: Int) throws(PickleError) -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else {
            throw .stackUnderflow(opcode: opcode, offset: offset)
        }
        return value
    }

    private mutating func popToMark(_ opcode: String, at offset: Int) throws(PickleError) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw .missingMark(opcode: opcode, offset: offset) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func count(_ n: Int = 1) throws(PickleError) {
        objects += n
        guard objects <= Self.maximumObjects else { throw .tooLarge(limit: Self.maximumObjects) }
    }

    private mutating func push(_ value: PickleValue) throws(PickleError) {
        try count()
        stack.append(value)
    }

    private mutating func newTuple(_ items: [PickleValue]) throws(PickleError) -> PickleValue {
        try count(items.count)
        tuples.append(items)
        return .tuple(tuples.count - 1)
    }

    private func key(_ value: PickleValue, at offset: Int) throws(PickleError) -> PickleKey {
        switch value {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .string(let s): return .string(s)
        default: throw .unhashableKey(offset: offset)
        }
    }

    private mutating func setItems(_ target: PickleValue, _ items: [PickleValue], _ opcode: String, at offset: Int) throws(PickleError) {
        guard case .dict(let index) = target, items.count % 2 == 0 else {
            throw .invalidCall(callable: opcode, reason: "target is \(target.kindName) with \(items.count) items")
        }
        for pair in stride(from: 0, to: items.count, by: 2) {
            dicts[index].set(try key(items[pair], at: offset), items[pair + 1])
        }
    }

    private mutating func append(_ target: PickleValue, _ items: [PickleValue], _ opcode: String) throws(PickleError) {
        guard case .list(let index) = target else {
            throw .invalidCall(callable: opcode, reason: "target is \(target.kindName), not a list")
        }
        lists[index].append(contentsOf: items)
    }

    private mutating func top(_ opcode: String, at offset: Int) throws(PickleError) -> PickleValue {
        let value = try pop(opcode, at: offset)
        stack.append(value)
        return value
    }

    // MARK: - Opcodes

    private mutating func step(_ opcode: UInt8, at offset: Int) throws(PickleError) {
        switch opcode {
        case 0x80:  // PROTO
            let version = try uint(1)
            guard version <= 5 else { throw .unsupportedOpcode(opcode: opcode, offset: offset) }
        case 0x95:  // FRAME: a length hint only
            _ = try uint(8)
        case UInt8(ascii: "("):  // MARK
            marks.append(stack.count)
        case UInt8(ascii: "0"):  // POP
            if marks.last == stack.count { marks.removeLast() } else { _ = try pop("POP", at: offset) }
        case UInt8(ascii: "1"):  // POP_MARK
            _ = try popToMark("POP_MARK", at: offset)
        case UInt8(ascii: "2"):  // DUP
            try push(try top("DUP", at: offset))
        case UInt8(ascii: "N"): try push(.none)
        case 0x88: try push(.bool(true))   // NEWTRUE
        case 0x89: try push(.bool(false))  // NEWFALSE
        case UInt8(ascii: "J"):  // BININT (signed 32-bit)
            try push(.int(Int(Int32(bitPattern: UInt32(try uint(4))))))
        case UInt8(ascii: "K"): try push(.int(Int(try uint(1))))  // BININT1
        case UInt8(ascii: "M"): try push(.int(Int(try uint(2))))  // BININT2
        case 0x8A:  // LONG1: little-endian two's complement of n bytes
            let n = try length(1)
            guard n <= 8 else { throw .integerTooLarge(offset: offset) }
            var value = try uint(n)
            if n > 0, n < 8, value & (1 << (8 * UInt64(n) - 1)) != 0 { value |= ~0 << (8 * UInt64(n)) }
            try push(.int(Int(Int64(bitPattern: value))))
        case UInt8(ascii: "G"):  // BINFLOAT, big-endian double
            let bytes = try take(8)
            try push(.float(Double(bitPattern: bytes.reduce(0) { $0 << 8 | UInt64($1) })))
        case UInt8(ascii: "X"): try push(.string(try utf8String(try length(4), at: offset)))   // BINUNICODE
        case 0x8C: try push(.string(try utf8String(try length(1), at: offset)))               // SHORT_BINUNICODE
        case 0x8D: try push(.string(try utf8String(try length(8), at: offset)))               // BINUNICODE8
        case UInt8(ascii: "B"), UInt8(ascii: "C"), 0x8E:  // BINBYTES, SHORT_BINBYTES, BINBYTES8
            let width = opcode == UInt8(ascii: "C") ? 1 : opcode == 0x8E ? 8 : 4
            byteStrings.append(Array(try take(try length(width))))
            try push(.bytes(byteStrings.count - 1))
        case UInt8(ascii: "}"):  // EMPTY_DICT
            dicts.append(PickleDict())
            try push(.dict(dicts.count - 1))
        case UInt8(ascii: "]"):  // EMPTY_LIST
            lists.append([])
            try push(.list(lists.count - 1))
        case UInt8(ascii: ")"): try push(try newTuple([]))  // EMPTY_TUPLE
        case UInt8(ascii: "t"): try push(try newTuple(try popToMark("TUPLE", at: offset)))
        case 0x85, 0x86, 0x87:  // TUPLE1..3
            let n = Int(opcode - 0x84)
            var items: [PickleValue] = []
            for _ in 0..<n { items.insert(try pop("TUPLE\(n)", at: offset), at: 0) }
            try push(try newTuple(items))
        case UInt8(ascii: "l"):  // LIST
            let items = try popToMark("LIST", at: offset)
            lists.append(items)
            try push(.list(lists.count - 1))
        case UInt8(ascii: "d"):  // DICT
            let items = try popToMark("DICT", at: offset)
            dicts.append(PickleDict())
            let value = PickleValue.dict(dicts.count - 1)
            try setItems(value, items, "DICT", at: offset)
            try push(value)
        case UInt8(ascii: "s"):  // SETITEM
            let value = try pop("SETITEM", at: offset)
            let key = try pop("SETITEM", at: offset)
            try setItems(try top("SETITEM", at: offset), [key, value], "SETITEM", at: offset)
        case UInt8(ascii: "u"):  // SETITEMS
            let items = try popToMark("SETITEMS", at: offset)
            try setItems(try top("SETITEMS", at: offset), items, "SETITEMS", at: offset)
        case UInt8(ascii: "a"):  // APPEND
            let item = try pop("APPEND", at: offset)
            try append(try top("APPEND", at: offset), [item], "APPEND")
        case UInt8(ascii: "e"):  // APPENDS
            let items = try popToMark("APPENDS", at: offset)
            try append(try top("APPENDS", at: offset), items, "APPENDS")
        case UInt8(ascii: "q"): memo[Int(try uint(1))] = try top("BINPUT", at: offset)        // BINPUT
        case UInt8(ascii: "r"): memo[Int(try uint(4))] = try top("LONG_BINPUT", at: offset)   // LONG_BINPUT
        case 0x94: memo[memo.count] = try top("MEMOIZE", at: offset)                         // MEMOIZE
        case UInt8(ascii: "h"), UInt8(ascii: "j"):  // BINGET, LONG_BINGET
            let key = Int(try uint(opcode == UInt8(ascii: "h") ? 1 : 4))
            guard let value = memo[key] else { throw .unknownMemoKey(key: key, offset: offset) }
            try push(value)
        case UInt8(ascii: "c"):  // GLOBAL "module\nname\n"
            let module = try line()
            let name = try line()
            try push(.global(try PickleGlobal(module: module, name: name)))
        case 0x93:  // STACK_GLOBAL
            let name = try pop("STACK_GLOBAL", at: offset)
            let module = try pop("STACK_GLOBAL", at: offset)
            guard case .string(let m) = module, case .string(let n) = name else {
                throw .invalidCall(callable: "STACK_GLOBAL", reason: "module and name must be strings")
            }
            try push(.global(try PickleGlobal(module: m, name: n)))
        case UInt8(ascii: "Q"):  // BINPERSID
            let pid = try pop("BINPERSID", at: offset)
            try push(try persistentLoad(pid))
        case UInt8(ascii: "R"):  // REDUCE
            let arguments = try pop("REDUCE", at: offset)
            let callable = try pop("REDUCE", at: offset)
            try push(try call(callable, arguments))
        case UInt8(ascii: "b"):  // BUILD
            let state = try pop("BUILD", at: offset)
            let target = try top("BUILD", at: offset)
            // A state_dict is an OrderedDict whose `_metadata` attribute (module versions) arrives
            // through BUILD; it is not needed, so it is accepted and dropped. Nothing else is built.
            guard case .dict = target, case .dict = state else {
                throw .invalidCall(callable: "BUILD", reason: "state \(state.kindName) for \(target.kindName)")
            }
        default:
            throw .unsupportedOpcode(opcode: opcode, offset: offset)
        }
    }

    private mutating func persistentLoad(_ pid: PickleValue) throws(PickleError) -> PickleValue {
        guard let items = tuple(pid), items.count == 5 else {
            throw .unsupportedPersistentID(reason: "expected ('storage', type, key, location, numel)")
        }
        guard case .string("storage") = items[0] else {
            throw .unsupportedPersistentID(reason: "the first element is \(items[0].kindName), not 'storage'")
        }
        guard case .global(.storageType(let type)) = items[1] else {
            throw .unsupportedPersistentID(reason: "storage type \(items[1].kindName)")
        }
        guard case .string(let key) = items[2] else {
            throw .unsupportedPersistentID(reason: "storage key is \(items[2].kindName)")
        }
        guard case .int(let numel) = items[4], numel >= 0 else {
            throw .unsupportedPersistentID(reason: "element count is \(items[4].kindName)")
        }
        storages.append(PickledStorage(type: type, key: key, elementCount: numel))
        return .storage(storages.count - 1)
    }

    private func intTuple(_ value: PickleValue, _ what: String, callable: String) throws(PickleError) -> [Int] {
        guard let items = tuple(value), items.count <= 16 else {
            throw .invalidCall(callable: callable, reason: "\(what) is \(value.kindName)")
        }
        var result: [Int] = []
        for item in items {
            guard case .int(let n) = item, n >= 0 else {
                throw .invalidCall(callable: callable, reason: "\(what) holds \(item.kindName)")
            }
            result.append(n)
        }
        return result
    }

    private mutating func call(_ callable: PickleValue, _ arguments: PickleValue) throws(PickleError) -> PickleValue {
        guard case .global(let global) = callable else {
            throw .invalidCall(callable: callable.kindName, reason: "it is not callable")
        }
        guard let args = tuple(arguments) else {
            throw .invalidCall(callable: global.displayName, reason: "arguments are \(arguments.kindName)")
        }
        switch global {
        case .orderedDict:
            guard args.isEmpty else { throw .invalidCall(callable: global.displayName, reason: "expected no arguments") }
            dicts.append(PickleDict())
            return .dict(dicts.count - 1)
        case .rebuildTensorV2:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard args.count == 6 || args.count == 7, case .storage(let storage) = args[0], case .int(let offset) = args[1],
                  offset >= 0
            else { throw .invalidCall(callable: global.displayName, reason: "expected (storage, offset, size, stride, ...)") }
            let shape = try intTuple(args[2], "size", callable: global.displayName)
            let stride = try intTuple(args[3], "stride", callable: global.displayName)
            guard shape.count == stride.count else {
                throw .invalidCall(callable: global.displayName, reason: "size and stride differ in length")
            }
            tensors.append(PickledTensor(storage: storage, offset: offset, shape: shape, stride: stride))
            return .tensor(tensors.count - 1)
        case .rebuildParameter, .rebuildParameterWithState:
            // (data, requires_grad, backward_hooks[, state]): the parameter is its tensor.
            guard args.count >= 3, args.count <= 4, case .tensor = args[0] else {
                throw .invalidCall(callable: global.displayName, reason: "expected (tensor, requires_grad, hooks)")
            }
            return args[0]
        case .storageType:
            throw .invalidCall(callable: global.displayName, reason: "storages are only created by persistent ids")
        }
    }
}
