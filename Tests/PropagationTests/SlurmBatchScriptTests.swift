import Propagation
import Testing

@Suite struct SlurmBatchScriptTests {
    @Test func theScriptIsAJobArrayRunningTheExactCommand() {
        let script = SlurmBatchScript(
            jobName: "propagate-head", tasks: 4, cpusPerTask: 2, memoryMegabytes: 896, timeMinutes: 95,
            partition: "short", outputPattern: "/data/logs/propagate-head-%A_%a.out",
            command: ["/opt/multiverseg/bin/multiverseg", "propagate", "--projects", "/data/My Projects",
                      "--project", "ct", "--label", "liver", "--images", "it's"])
        let lines = script.text.split(separator: "\n").map(String.init)
        #expect(lines.first == "#!/bin/bash")
        for expected in ["#SBATCH --job-name=propagate-head", "#SBATCH --array=0-3", "#SBATCH --cpus-per-task=2",
                         "#SBATCH --mem=896M", "#SBATCH --time=01:35:00", "#SBATCH --partition=short",
                         "#SBATCH --output=/data/logs/propagate-head-%A_%a.out", "#SBATCH --ntasks=1",
                         "set -euo pipefail"] {
            #expect(lines.contains(expected), "missing \(expected)")
        }
        #expect(lines.last == "/opt/multiverseg/bin/multiverseg propagate --projects '/data/My Projects' --project ct "
            + "--label liver --images 'it'\\''s'")
        // Every #SBATCH line comes before the first command (sbatch stops reading them there).
        let firstCommand = lines.firstIndex { !$0.hasPrefix("#") }!
        #expect(!lines[firstCommand...].contains { $0.hasPrefix("#SBATCH") })
    }

    @Test func noPartitionLineWithoutOneAndLongTimesInDays() {
        let script = SlurmBatchScript(jobName: "x y;rm", tasks: 1, cpusPerTask: 1, memoryMegabytes: 512,
                                      timeMinutes: 3 * 24 * 60 + 61, command: ["/bin/true"])
        #expect(!script.text.contains("--partition"))
        #expect(!script.text.contains("--output"))
        #expect(script.text.contains("#SBATCH --array=0-0\n"))
        #expect(script.text.contains("#SBATCH --time=3-01:01:00\n"))
        #expect(script.text.contains("#SBATCH --job-name=x_y_rm\n"))
    }

    @Test func estimatesMemoryAndTimeFromTheMeasurement() {
        // 300 MiB peak with one worker, 40 MiB activations each further one: (300 + 40) * 1.25 + 256 = 681 -> 704.
        #expect(SlurmBatchScript.memoryEstimate(peakMegabytes: 300, activationMegabytes: 40, workers: 2) == 704)
        #expect(SlurmBatchScript.memoryEstimate(peakMegabytes: 300, activationMegabytes: 40, workers: 1) == 640)
        // 1000 images over 4 tasks, 0.5 s each on 2 workers: 62.5 s, x3 = 187.5 s -> 4 min, + 10.
        #expect(SlurmBatchScript.timeEstimate(images: 1000, tasks: 4, workers: 2, secondsPerImage: 0.5) == 14)
        #expect(SlurmBatchScript.timeEstimate(images: 0, tasks: 4, workers: 2, secondsPerImage: 0.5) == 10)
    }
}
