import ArgumentParser
import Foundation
import Inference
import ProjectStore
import Propagation

/// `multiverseg propagate`: proposals for every image of a label without an accepted mask, from the
/// label's current context (no interactions), into `proposals/<label>/`; or, with `--sbatch`, a
/// Slurm job-array script that does it in shards.
struct PropagateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "propagate",
        abstract: "Propose masks for a label's remaining images from its context set (proposals/<label>/, never accepted masks).",
        discussion: """
            Resumable: an image whose proposal was made from the same context revision and weights is skipped. \
            With --shard K/N (or inside a Slurm job array: SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT) only the \
            K-th of N disjoint parts is done, split by a stable hash of the image id. --sbatch FILE writes a batch \
            script for such an array instead of propagating.
            """)

    @Option(help: "The project id.")
    var project: String
    @Option(help: "The label to propagate.")
    var label: String
    @Option(help: "The folder of project folders (default: as for serve).")
    var projects: String?
    @Option(help: "Worker threads, each with its own single-threaded network (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Propose for at most this many images (after skipping up-to-date ones).")
    var limit: Int?
    @Option(help: "Only these images (comma-separated ids).")
    var images: String?
    @Option(help: "Only the K-th of N parts (0 <= K < N), e.g. 0/4.")
    var shard: String?
    @Option(help: "The weights file (default: Weights/default.safetensors).")
    var weights: String?
    @Option(help: "Write a Slurm batch script (job array) to FILE instead of propagating.")
    var sbatch: String?
    @Option(help: "--sbatch: tasks in the job array.")
    var arraySize = 4
    @Option(help: "--sbatch: the partition to submit to (default: the cluster's default).")
    var partition: String?
    @Option(help: "--sbatch: time limit per task in minutes (default: estimated from a measured forward pass).")
    var timeMinutes: Int?

    func run() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
        guard arraySize >= 1, arraySize <= 100_000 else { throw ValidationError("--array-size must be between 1 and 100000") }
        if let timeMinutes, timeMinutes < 1 { throw ValidationError("--time-minutes must be at least 1") }
        let explicitShard: Shard?
        do {
            explicitShard = try shard.map { try Shard.parse($0) }
        } catch let error as PropagationError {
            throw ValidationError(error.description)
        }
        let imageList = images.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if let imageList, imageList.isEmpty || imageList.contains(where: \.isEmpty) {
            throw ValidationError("--images must be comma-separated image ids")
        }

        let installation = Installation.current
        let projectsRoot = try projects.map(installation.absolute) ?? installation.defaultProjectsFolder()
        let target = try ProjectLibrary(root: projectsRoot).project(project)
        guard let weightsPath = (weights ?? installation.resource("Weights").map { $0 + "/default.safetensors" })
            .map(installation.absolute) else {
            throw ValidationError("no Weights/ folder found; pass --weights FILE")
        }
        let spec = try ModelSpec.load(weights: weightsPath).requiringInContextNetwork()
        let propagator = try Propagator(project: target, label: label, spec: spec,
                                        model: try spec.identity(weightsPath: weightsPath))
        if let sbatch {
            try writeBatchScript(to: installation.absolute(sbatch), propagator: propagator, projectsRoot: projectsRoot,
                                 weightsPath: weightsPath, imageList: imageList)
            return
        }

        let chosenShard = try explicitShard ?? Shard.fromSlurm(environment: ProcessInfo.processInfo.environment) ?? .whole
        let plan = try propagator.plan(images: imageList, shard: chosenShard, limit: limit)
        let part = chosenShard.count > 1 ? " (shard \(chosenShard))" : ""
        print("propagate '\(label)' of '\(project)'\(part): \(plan.remaining.count) image(s) without an accepted mask, "
            + "\(plan.upToDate) proposal(s) up to date, "
            + (plan.reviewed > 0 ? "\(plan.reviewed) draft(s) or rejected from this context skipped, " : "")
            + "\(plan.todo.count) to make; context: "
            + "\(plan.revision.includedCount) entr\(plan.revision.includedCount == 1 ? "y" : "ies") "
            + "(revision \(plan.revision.fingerprint)); model: \(propagator.model); \(threads) thread(s)")
        let progress = PropagationProgress(title: "propagate \(label)\(part)", total: plan.todo.count)
        let summary = try propagator.run(plan, workers: threads) { done, _ in progress.update(done: done) }
        if !plan.todo.isEmpty { progress.finish() }
        print("proposed \(summary.proposed) mask(s) in \(String(format: "%.1f", summary.seconds)) s "
            + "(\(String(format: "%.2f", summary.imagesPerSecond)) images/s) into proposals/\(label)/"
            + (summary.acceptedMeanwhile > 0 ? "; \(summary.acceptedMeanwhile) image(s) were accepted meanwhile and got none" : ""))
    }

    /// Measures one forward pass at the context size the label will use (peak memory, latency),
    /// then writes the job-array script with absolute paths.
    private func writeBatchScript(to path: String, propagator: Propagator, projectsRoot: String, weightsPath: String,
                                  imageList: [String]?) throws {
        let plan = try propagator.plan(images: imageList)
        let contextSize = min(propagator.options.contextLimit, plan.revision.includedCount)
        let network = try propagator.spec.makeNetwork(threads: 1)
        let measured = try NetworkBenchmark(network: network, runs: 2, warmupRuns: 1).run(contexts: [contextSize])[0]
        let memory = SlurmBatchScript.memoryEstimate(peakMegabytes: measured.peakRSSMegabytes,
                                                     activationMegabytes: measured.activationMegabytes, workers: threads)
        let minutes = timeMinutes ?? SlurmBatchScript.timeEstimate(
            images: plan.todo.count, tasks: arraySize, workers: threads,
            secondsPerImage: measured.medianMilliseconds / 1000 + 0.05)
        let binary = FileSystem.resolved("/proc/self/exe") ?? CommandLine.arguments[0]
        var command = [binary, "propagate", "--projects", FileSystem.resolved(projectsRoot) ?? projectsRoot,
                       "--project", project, "--label", label, "--threads", "\(threads)",
                       "--weights", FileSystem.resolved(weightsPath) ?? weightsPath]
        if let images { command += ["--images", images] }
        if let limit { command += ["--limit", "\(limit)"] }
        let folder = (path as NSString).deletingLastPathComponent
        let script = SlurmBatchScript(
            jobName: "propagate-\(label)", tasks: arraySize, cpusPerTask: threads, memoryMegabytes: memory,
            timeMinutes: minutes, partition: partition,
            outputPattern: (FileSystem.resolved(folder) ?? folder) + "/propagate-\(label)-%A_%a.out", command: command)
        try FileSystem.writeAtomically(Array(script.text.utf8), to: path)
        print("wrote \(path): \(arraySize) task(s) for \(plan.todo.count) image(s) to propose, \(threads) CPU(s) and "
            + "\(memory) MiB each (measured peak \(String(format: "%.0f", measured.peakRSSMegabytes)) MiB at context "
            + "\(contextSize)), time limit \(minutes) min; submit it with: sbatch \(path)")
    }
}
