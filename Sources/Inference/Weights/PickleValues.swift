// The values a restricted pickle machine builds (see RestrictedUnpickler.swift) and the errors it reports.

/// Why a pickle (the `data.pkl` of a PyTorch checkpoint) was refused.
public enum PickleError: Error, CustomStringConvertible, Equatable {
    case truncated(offset: Int)
    case unsupportedOpcode(opcode: UInt8, offset: Int)
    case forbiddenGlobal(module: String, name: String)
    case stackUnderflow(opcode: String, offset: Int)
    case missingMark(opcode: String, offset: Int)
    case unknownMemoKey(key: Int, offset: Int)
    case invalidString(offset: Int)
    case integerTooLarge(offset: Int)
    case unsupportedPersistentID(reason: String)
    case invalidCall(callable: String, reason: String)
    case unhashableKey(offset: Int)
    case tooLarge(limit: Int)
    case noResult

    public var description: String {
        switch self {
        case .truncated(let offset):
            "the checkpoint's pickle ends early (at byte \(offset)); the file is truncated or corrupt"
        case .unsupportedOpcode(let opcode, let offset):
            "pickle opcode 0x\(String(opcode, radix: 16)) at byte \(offset) is not allowed: only what a plain state_dict needs is accepted; save just the state_dict (torch.save(model.state_dict(), path))"
        case .forbiddenGlobal(let module, let name):
            "global \(module).\(name) is not allowed: the checkpoint asks to run code that a state_dict never needs; refusing it. Save just the state_dict (torch.save(model.state_dict(), path))"
        case .stackUnderflow(let opcode, let offset):
            "pickle opcode \(opcode) at byte \(offset) found too few values on the stack; the file is corrupt"
        case .missingMark(let opcode, let offset):
            "pickle opcode \(opcode) at byte \(offset) has no matching mark; the file is corrupt"
        case .unknownMemoKey(let key, let offset):
            "pickle memo entry \(key) read at byte \(offset) was never stored; the file is corrupt"
        case .invalidString(let offset):
            "the pickle string at byte \(offset) is not valid UTF-8; the file is corrupt"
        case .integerTooLarge(let offset):
            "the pickle integer at byte \(offset) does not fit in 64 bits; a state_dict never needs that"
        case .unsupportedPersistentID(let reason):
            "unsupported storage reference in the checkpoint (\(reason)); re-save it with torch.save from a recent PyTorch"
        case .invalidCall(let callable, let reason):
            "\(callable) was called with unexpected arguments (\(reason)); the file is corrupt or not a state_dict"
        case .unhashableKey(let offset):
            "a dictionary key at byte \(offset) is not a string, integer, boolean or None; a state_dict never needs that"
        case .tooLarge(let limit):
            "the pickle builds more than \(limit) objects; this is not a state_dict"
        case .noResult:
            "the pickle ended without a value; the file is corrupt"
        }
    }
}

/// The callables and classes the restricted unpickler knows. Anything else is refused by name.
enum PickleGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2
    case rebuildParameter
    case rebuildParameterWithState
    case storageType(PyTorchStorageType)

    init(module: String, name: String) throws(PickleError) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("torch", _):
            guard let type = PyTorchStorageType(storageClassName: name) else {
                throw .forbiddenGlobal(module: module, name: name)
            }
            self = .storageType(type)
        default:
            throw .forbiddenGlobal(module: module, name: name)
        }
    }

    var displayName: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: "torch._utils._rebuild_parameter_with_state"
        case .storageType(let type): "torch.\(type.storageClassName)"
        }
    }
}

/// Storage classes a checkpoint may reference. All are recognised, so that a checkpoint whose
/// state_dict sits beside other entries (an optimizer's int64 step counter, say) still imports; only
/// the float types can become weights, and `scalarType` is nil for the others.
public enum PyTorchStorageType: String, Sendable, CaseIterable {
    case float = "FloatStorage"
    case half = "HalfStorage"
    case bfloat16 = "BFloat16Storage"
    case double = "DoubleStorage"
    case long = "LongStorage"
    case int = "IntStorage"
    case short = "ShortStorage"
    case char = "CharStorage"
    case byte = "ByteStorage"
    case bool = "BoolStorage"
    case complexFloat = "ComplexFloatStorage"
    case complexDouble = "ComplexDoubleStorage"

    init?(storageClassName: String) { self.init(rawValue: storageClassName) }
    var storageClassName: String { rawValue }

    /// The element type weights are converted from, or nil for types that cannot be weights.
    var scalarType: StoredScalarType? {
        switch self {
        case .float: .float32
        case .half: .float16
        case .bfloat16: .bfloat16
        default: nil
        }
    }
}

/// A value built by the restricted unpickler. Containers live in the machine's arena and are
/// referred to by index, so no value owns another: deep or cyclic structures from a hostile file
/// cannot overflow the stack when freed or compared.
enum PickleValue: Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes(Int)
    case tuple(Int)
    case list(Int)
    case dict(Int)
    case global(PickleGlobal)
    case storage(Int)
    case tensor(Int)

    var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "a bool"
        case .int: "an int"
        case .float: "a float"
        case .string: "a string"
        case .bytes: "bytes"
        case .tuple: "a tuple"
        case .list: "a list"
        case .dict: "a dict"
        case .global(let global): global.displayName
        case .storage: "a storage"
        case .tensor: "a tensor"
        }
    }
}

/// Dictionary keys the unpickler accepts (a state_dict uses strings).
enum PickleKey: Hashable {
    case none
    case bool(Bool)
    case int(Int)
    case string(String)
}

/// A storage referenced by a persistent id ('storage', type, key, location, numel).
struct PickledStorage: Equatable {
    var type: PyTorchStorageType
    var key: String
    var elementCount: Int
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage.
struct PickledTensor: Equatable {
    var storage: Int
    var offset: Int
    var shape: [Int]
    var stride: [Int]
}

/// An ordered dictionary in the arena.
struct PickleDict {
    var keys: [PickleKey] = []
    var values: [PickleValue] = []
    var positions: [PickleKey: Int] = [:]

    mutating func set(_ key: PickleKey, _ value: PickleValue) {
        if let position = positions[key] {
            values[position] = value
        } else {
            positions[key] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    subscript(key: PickleKey) -> PickleValue? { positions[key].map { values[$0] } }
}
