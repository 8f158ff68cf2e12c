import FoundationEssentials
import Glibc
import HTTP

// Entry point: pick the subcommand, hand it the rest of the arguments, exit with its code.
let arguments = Array(CommandLine.arguments.dropFirst())
// The commands that stop on SIGINT/SIGTERM/SIGHUP take them with sigwait: blocked here, before
// any thread exists, so none is lost or fatal however early it comes (see TerminationSignals).
if let command = arguments.first, ["serve", "sample-app", "run"].contains(command) {
    TerminationSignals.blockInEveryThread()
}
exit(CommandRouter.run(arguments))
