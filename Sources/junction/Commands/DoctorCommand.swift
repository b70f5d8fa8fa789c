import ArgumentParser
import Foundation
import JunctionServer
import JunctionStore

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the home folder, database, daemon, servers, clients and sign-ins; one line per finding.",
        discussion: """
            Exits non-zero when a problem is found; each problem says how to fix it. Servers are
            started (in parallel, each for at most --server-timeout seconds) to see them list tools.
            """)

    @Option(help: ArgumentHelp("Seconds each server may take to start and list its tools.", valueName: "SECONDS"))
    var serverTimeout: Int = 20
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard (1...600).contains(serverTimeout) else {
            throw ArgumentParser.ValidationError("--server-timeout must be 1 to 600 seconds")
        }
    }

    func run() async throws {
        let doctor = Doctor(home: JunctionHome.resolve(), serverTimeout: .seconds(serverTimeout))
        let report = await doctor.run()
        if output.json {
            try Output.json(report)
        } else {
            for finding in report.findings { print(finding) }
            print(
                report.healthy
                    ? "No problem found" + (report.warnings > 0 ? " (\(report.warnings) warning(s))." : ".")
                    : "\(report.problems) problem(s) found.")
        }
        if !report.healthy { throw ExitCode.failure }
    }
}
