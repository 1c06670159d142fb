import ProjectStore
@testable import Server
import Testing

@Suite struct CollaboratorWatcherTests {
    let bone = LabelKey(project: "p", label: "bone")
    let skin = LabelKey(project: "p", label: "skin")

    func revision(_ version: Int) -> ContextRevision {
        var manifest = ContextManifest(label: "bone")
        manifest.entries = [ContextEntry(id: "a", version: version, annotator: "", acceptedAt: "", interactions: 0, included: true)]
        return ContextRevision(manifest: manifest)
    }

    @Test func aChangeIsReportedOnceForAnOpenLabel() {
        let watcher = CollaboratorWatcher()
        watcher.watch(bone, revision: revision(1))
        #expect(watcher.changes(among: [bone]) { _ in revision(1) }.isEmpty)
        #expect(watcher.changes(among: [bone]) { _ in revision(2) } == [bone])
        #expect(watcher.changes(among: [bone]) { _ in revision(2) }.isEmpty)
    }

    @Test func closedUnwatchedAndUnreadableLabelsAreSkipped() {
        let watcher = CollaboratorWatcher()
        watcher.watch(bone, revision: revision(1))
        #expect(watcher.changes(among: []) { _ in revision(2) }.isEmpty, "no page open on it")
        #expect(watcher.changes(among: [skin]) { _ in revision(2) }.isEmpty, "never watched")
        #expect(watcher.changes(among: [bone]) { _ in nil }.isEmpty, "cannot be read now")
        #expect(watcher.changes(among: [bone]) { _ in revision(2) } == [bone], "the skipped reads left it as it was")
    }

    @Test func watchingAgainKeepsTheRevisionAndRecordingReplacesIt() {
        let watcher = CollaboratorWatcher()
        watcher.watch(bone, revision: revision(1))
        watcher.watch(bone, revision: revision(2))  // a second page on the label
        #expect(watcher.changes(among: [bone]) { _ in revision(2) } == [bone])
        watcher.record(bone, revision: revision(3))  // announced by this app already
        #expect(watcher.changes(among: [bone]) { _ in revision(3) }.isEmpty)
    }
}
