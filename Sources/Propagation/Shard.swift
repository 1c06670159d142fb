import Foundation
import ProjectStore

/// One of `count` disjoint parts of a label's remaining images, chosen by a stable hash of the
/// image id (64-bit FNV-1a, the same in every process and on every machine), so `count`
/// processes sharing one project folder each propagate their own part and together all of it.
///
/// ```swift
/// let shard = try Shard.parse("1/4")
/// let mine = images.filter(shard.contains)
/// let fromSlurm = try Shard.fromSlurm(environment: ProcessInfo.processInfo.environment)   // nil outside a job array
/// ```
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 0-based, below `count`.
    public let index: Int
    public let count: Int

    /// Every image: no split.
    public static let whole = Shard(uncheckedIndex: 0, count: 1)

    public init(index: Int, count: Int) throws {
        guard count >= 1, (0..<count).contains(index) else {
            throw PropagationError.invalidShard(text: "\(index)/\(count)", source: "shard")
        }
        self.init(uncheckedIndex: index, count: count)
    }

    private init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// `"K/N"`, e.g. `"0/4"`.
    public static func parse(_ text: String, source: String = "--shard") throws -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1,
              (0..<count).contains(index) else {
            throw PropagationError.invalidShard(text: text, source: source)
        }
        return Shard(uncheckedIndex: index, count: count)
    }

    /// The shard of a Slurm job-array task: `SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN`
    /// (0 when absent) of `SLURM_ARRAY_TASK_COUNT` tasks, or `MAX - MIN + 1` when COUNT is absent.
    /// nil outside a job array (no task id). Arrays with steps or gaps (`--array=0-6:2`) are
    /// refused, as their ids do not number the tasks 0..N-1.
    public static func fromSlurm(environment: [String: String]) throws -> Shard? {
        guard let idText = environment["SLURM_ARRAY_TASK_ID"] else { return nil }
        func number(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw PropagationError.invalidShard(text: text, source: name)
            }
            return value
        }
        guard let id = try number("SLURM_ARRAY_TASK_ID") else {
            throw PropagationError.invalidShard(text: idText, source: "SLURM_ARRAY_TASK_ID")
        }
        let minimum = try number("SLURM_ARRAY_TASK_MIN") ?? 0
        let count: Int
        if let given = try number("SLURM_ARRAY_TASK_COUNT") {
            count = given
        } else if let maximum = try number("SLURM_ARRAY_TASK_MAX") {
            count = maximum - minimum + 1
        } else {
            throw PropagationError.invalidShard(text: idText, source: "SLURM_ARRAY_TASK_ID without SLURM_ARRAY_TASK_COUNT or _MAX")
        }
        let index = id - minimum
        guard count >= 1, (0..<count).contains(index) else {
            throw PropagationError.invalidShard(text: "\(index)/\(count)", source: "the Slurm job array task")
        }
        return Shard(uncheckedIndex: index, count: count)
    }

    /// Whether the image `id` belongs to this shard.
    public func contains(_ id: String) -> Bool {
        count == 1 || Int(StableHash.fnv1a64(id) % UInt64(count)) == index
    }

    public var description: String { "\(index)/\(count)" }
}
