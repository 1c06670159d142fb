import Propagation
import Testing

/// The split of remaining images into shards: a stable hash (the same in every process, unlike
/// Swift's seeded `Hasher`), disjoint parts that cover everything, and Slurm's job-array variables.
@Suite struct ShardTests {
    @Test func parsesKOverNAndRefusesAnythingElse() throws {
        #expect(try Shard.parse("0/4") == Shard(index: 0, count: 4))
        #expect(try Shard.parse("3/4").description == "3/4")
        for bad in ["4/4", "-1/4", "0/0", "1", "a/b", "1/2/3", "", " 1/2", "1/-2"] {
            #expect(throws: PropagationError.self) { try Shard.parse(bad) }
        }
        #expect(throws: PropagationError.self) { try Shard(index: 2, count: 2) }
    }

    @Test func theSplitIsDisjointCoversEverythingAndIsFixedByTheIds() throws {
        let ids = (0..<1000).map { "scan-\($0)" } + ["000_HC", "067_HC", "a", "Z.9"]
        for count in [1, 2, 3, 4, 7] {
            let shards = try (0..<count).map { try Shard(index: $0, count: count) }
            for id in ids {
                #expect(shards.filter { $0.contains(id) }.count == 1, "\(id) is in more or fewer than one of \(count)")
            }
            if count == 4 {
                // Balanced enough for a job array: each part within 20% of a quarter.
                for shard in shards { #expect(abs(ids.filter(shard.contains).count - ids.count / 4) < ids.count / 20) }
            }
        }
        // FNV-1a 64 of the id, modulo N: fixed values, so another process (another machine) agrees.
        let expected = ["000_HC": 1, "067_HC": 0, "133_2HC": 2, "200_HC": 3, "535_HC": 0, "602_HC": 1, "img-7": 0]
        for (id, index) in expected {
            #expect(try Shard(index: index, count: 4).contains(id), "\(id) should be in shard \(index)/4")
        }
        #expect(Shard.whole.contains("anything"))
    }

    @Test func readsTheSlurmArrayVariables() throws {
        #expect(try Shard.fromSlurm(environment: [:]) == nil)
        #expect(try Shard.fromSlurm(environment: ["SLURM_JOB_ID": "7"]) == nil)
        #expect(try Shard.fromSlurm(environment: ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"])
            == Shard(index: 2, count: 4))
        // Without COUNT: MAX - MIN + 1, and ids numbered from MIN.
        #expect(try Shard.fromSlurm(environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0",
                                                  "SLURM_ARRAY_TASK_MAX": "3"]) == Shard(index: 3, count: 4))
        #expect(try Shard.fromSlurm(environment: ["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "5",
                                                  "SLURM_ARRAY_TASK_MAX": "8"]) == Shard(index: 0, count: 4))
        #expect(try Shard.fromSlurm(environment: ["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_MIN": "5",
                                                  "SLURM_ARRAY_TASK_COUNT": "4"]) == Shard(index: 3, count: 4))
        let bad: [[String: String]] = [
            ["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"],
            ["SLURM_ARRAY_TASK_ID": "1"],
            ["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_COUNT": "4"],
            // A stepped array (--array=0-6:2): ids are not 0..N-1.
            ["SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_COUNT": "4"],
            ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "0"],
        ]
        for environment in bad {
            #expect(throws: PropagationError.self) { try Shard.fromSlurm(environment: environment) }
        }
    }
}
