import Foundation

/// A Slurm batch script that runs `propagate` as a job array, one shard per task (each task finds
/// its shard in `SLURM_ARRAY_TASK_ID` / `SLURM_ARRAY_TASK_COUNT`).
///
/// ```swift
/// let script = SlurmBatchScript(jobName: "propagate-head", tasks: 4, cpusPerTask: 2, memoryMegabytes: 900,
///                               timeMinutes: 30, partition: nil,
///                               command: ["/opt/multiverseg", "propagate", "--project", "demo", "--label", "head"])
/// try script.text.write(toFile: "propagate.sbatch", atomically: true, encoding: .utf8)
/// // sbatch propagate.sbatch
/// ```
public struct SlurmBatchScript: Sendable, Equatable {
    public var jobName: String
    /// Array tasks: `--array=0-(tasks-1)`.
    public var tasks: Int
    public var cpusPerTask: Int
    public var memoryMegabytes: Int
    public var timeMinutes: Int
    public var partition: String?
    /// Where each task's output goes (`%A` job id, `%a` task index); nil: Slurm's default.
    public var outputPattern: String?
    /// The command each task runs, quoted for the shell in the script.
    public var command: [String]

    public init(jobName: String, tasks: Int, cpusPerTask: Int, memoryMegabytes: Int, timeMinutes: Int,
                partition: String? = nil, outputPattern: String? = nil, command: [String]) {
        self.jobName = jobName
        self.tasks = tasks
        self.cpusPerTask = cpusPerTask
        self.memoryMegabytes = memoryMegabytes
        self.timeMinutes = timeMinutes
        self.partition = partition
        self.outputPattern = outputPattern
        self.command = command
    }

    public var text: String {
        var lines = [
            "#!/bin/bash",
            "# Written by `multiverseg propagate --sbatch`: submit with `sbatch \(Self.quote(jobName)).sbatch` (or this file's name).",
            "# Each array task proposes masks for its shard of the label's remaining images (SLURM_ARRAY_TASK_ID of",
            "# SLURM_ARRAY_TASK_COUNT); a task that is run again skips the proposals already made.",
            "#SBATCH --job-name=\(Self.sanitized(jobName))",
            "#SBATCH --array=0-\(max(0, tasks - 1))",
            "#SBATCH --ntasks=1",
            "#SBATCH --cpus-per-task=\(cpusPerTask)",
            "#SBATCH --mem=\(memoryMegabytes)M",
            "#SBATCH --time=\(Self.duration(minutes: timeMinutes))",
        ]
        if let partition { lines.append("#SBATCH --partition=\(Self.sanitized(partition))") }
        if let outputPattern { lines.append("#SBATCH --output=\(outputPattern)") }
        lines += ["set -euo pipefail", command.map(Self.quote).joined(separator: " ")]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `--time` as Slurm takes it: `D-HH:MM:SS` or `HH:MM:SS`.
    static func duration(minutes: Int) -> String {
        let m = max(1, minutes)
        let clock = String(format: "%02d:%02d:00", m / 60 % 24, m % 60)
        return m >= 24 * 60 ? "\(m / (24 * 60))-\(clock)" : clock
    }

    /// Single-quoted for bash unless it is plain (letters, digits, `/._-=,:+`).
    public static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII || "/._-=,:+@%".unicodeScalars.contains($0)
        }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Letters, digits, `._-` only (a job or partition name on an #SBATCH line is not quoted).
    static func sanitized(_ name: String) -> String {
        String(name.unicodeScalars.map { scalar -> Character in
            CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || "._-".unicodeScalars.contains(scalar)
                ? Character(scalar) : "_"
        })
    }

    /// Memory to ask per task: the measured peak of one process with one worker, plus each further
    /// worker's activations, with a quarter and 256 MiB to spare, rounded up to 64 MiB.
    public static func memoryEstimate(peakMegabytes: Double, activationMegabytes: Double, workers: Int) -> Int {
        let needed = peakMegabytes + Double(max(0, workers - 1)) * activationMegabytes
        let asked = Int((needed * 1.25 + 256).rounded(.up))
        return (asked + 63) / 64 * 64
    }

    /// Minutes to ask per task: its share of `images` at `secondsPerImage` each over `workers`
    /// threads, three times over (shared nodes are slower), plus 10 minutes for start-up.
    public static func timeEstimate(images: Int, tasks: Int, workers: Int, secondsPerImage: Double) -> Int {
        let perTask = (Double(images) / Double(max(1, tasks))).rounded(.up)
        let seconds = perTask * secondsPerImage / Double(max(1, workers)) * 3
        return 10 + Int((seconds / 60).rounded(.up))
    }
}
