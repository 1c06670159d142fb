import ArgumentParser
import Foundation
import Inference
import MicroHTTP
import Server

/// `multiverseg serve`: runs the labeling app until Ctrl-C (SIGINT) or SIGTERM.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the labeling app on this machine and print the URL to open.")

    @Option(help: "The folder of project folders (default: Projects in a source checkout; installed, ~/.local/share/multiverseg/Projects, made on first run with the demo project).")
    var projects: String?

    @Option(help: "The port to listen on (0 picks a free one).")
    var port: UInt16 = 8080

    @Option(help: "The IPv4 address to bind. The default, loopback, keeps the app private to this machine; any other address needs the access token.")
    var host: String = "127.0.0.1"

    @Option(help: ArgumentHelp(
        "The access token every request must carry (default: $MULTIVERSEG_TOKEN, else a random one when --host is not loopback).",
        discussion: "Open the printed URL (…/?token=TOKEN) once; scripts send 'Authorization: Bearer TOKEN'."))
    var token: String?

    @Option(name: .customLong("allow-host"), help: "Also answer requests addressed to this host name (repeatable), e.g. a name that reaches this machine through a tunnel.")
    var allowedHosts: [String] = []

    @Option(help: "The largest request body (upload) accepted, in MiB.")
    var maxUploadMb: Int = 256

    @Option(help: "The largest image (width x height) accepted by upload, in pixels.")
    var maxImagePixels: Int = 1 << 26

    @Option(help: "The folder of the web UI's static files (found next to the binary by default).")
    var publicDir: String?

    @Option(help: "The folder of the page templates (found next to the binary by default).")
    var templatesDir: String?

    @Option(help: "The weights file (safetensors) to predict with (default: Weights/default.safetensors).")
    var weights: String?

    @Option(help: "Optional ScribblePrompt-UNet weights for images labeled while the context set is empty.")
    var interactiveWeights: String?

    @Option(help: "Threads for the network (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    /// The token to require: the option, else the environment, else a random one off loopback.
    func accessToken() throws -> String? {
        let given = token ?? ProcessInfo.processInfo.environment["MULTIVERSEG_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let given {
            if let problem = AccessControl.problem(withToken: given) { throw ValidationError("--token: \(problem)") }
            return given
        }
        return AccessControl.isLoopback(host) ? nil : AccessControl.randomToken()
    }

    func run() throws {
        guard maxUploadMb >= 1, maxUploadMb <= 1 << 20 else {
            throw ValidationError("--max-upload-mb must be between 1 and 1048576")
        }
        guard maxImagePixels >= 1 else { throw ValidationError("--max-image-pixels must be at least 1") }
        let accessToken = try accessToken()
        let installation = Installation.current
        guard let publicRoot = publicDir ?? installation.resource("Public") else {
            throw ValidationError("cannot find the Public/ folder of the web UI; pass --public-dir DIR")
        }
        guard let templatesRoot = templatesDir ?? installation.resource("Templates") else {
            throw ValidationError("cannot find the Templates/ folder of the pages; pass --templates-dir DIR")
        }
        let weightsPath = weights ?? installation.resource("Weights").map { $0 + "/default.safetensors" }
        var model: ModelRunner?
        var modelProblem: String?
        if let weightsPath {
            do {
                model = try ModelRunner(
                    spec: ModelSpec.load(weights: weightsPath, interactiveWeights: interactiveWeights),
                    threads: max(1, threads))
            } catch {
                modelProblem = "\(error)"
            }
        } else {
            modelProblem = "no Weights/ folder found; pass --weights FILE"
        }
        // A projects folder that cannot be opened, or a port that cannot be bound, is a runtime
        // failure: its error says what to do, without the usage text a ValidationError would add.
        let projectsRoot = try projects.map(installation.absolute) ?? installation.defaultProjectsFolder()
        let app = try App(configuration: .init(
            projectsRoot: projectsRoot, publicRoot: publicRoot,
            templatesRoot: templatesRoot, weightsPath: weightsPath, maxImagePixels: maxImagePixels),
            model: model, modelProblem: modelProblem)

        // Block the stop signals before libmicrohttpd starts its threads, so they inherit the mask
        // and only this thread receives them, in sigwait below.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        signal(SIGPIPE, SIG_IGN)

        let server = try HTTPServer(
            configuration: .init(host: host, port: port, maxBodyBytes: maxUploadMb << 20,
                                 accessControl: AccessControl(token: accessToken, allowedHosts: allowedHosts)),
            router: app.router())
        // Settle what a crashed or killed run left behind before serving anything.
        let recovery = app.library.recover()
        for (id, report) in recovery.settled {
            print("recovered project '\(id)': \(report.rolledForward) accept(s) completed, \(report.discarded) discarded, \(report.temporaryFilesRemoved) temporary file(s) removed"
                + (report.labelChangesFinished > 0 ? ", an interrupted label rename or delete finished" : ""))
        }
        for problem in recovery.problems { print("warning: could not check project for interrupted writes: \(problem)") }
        let scan = app.library.scan()
        print("MultiverSeg \(MultiverSegVersion.string): \(scan.projects.count) project(s) in \(app.configuration.projectsRoot)")
        for problem in scan.problems { print("warning: \(problem)") }
        if let model {
            print("Model: \(model.name) (\(model.resolution)x\(model.resolution), \(threads) thread(s))")
        } else {
            print("warning: predictions are off: \(modelProblem ?? "no model")")
        }
        if !AccessControl.isLoopback(host) {
            print("warning: listening on \(host), not loopback: other machines on the network can reach this app; "
                + "every request must carry the access token")
        }
        if let accessToken {
            print("Open \(server.url)?\(AccessControl.queryParameter)=\(accessToken) in your browser. Press Ctrl-C to stop.")
            if host == "0.0.0.0" {
                print("On this machine: http://127.0.0.1:\(server.port)/?\(AccessControl.queryParameter)=\(accessToken)")
            }
            print("Scripts: send the header 'Authorization: Bearer \(accessToken)'.")
        } else {
            print("Open \(server.url) in your browser. Press Ctrl-C to stop.")
        }
        fflush(nil)  // the URL must show up at once even when stdout is a pipe

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        print("\nStopping (signal \(received))…")
        app.stop()
        server.stop()
        print("Stopped.")
    }
}
