package dev.sluice.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** One run of the {@code sluice} command in this JVM, as a shell would see it: exit code, stdout, stderr. */
record CliRun(int exitCode, String out, String err) {

    /** Runs {@code args} against the admin API at {@code url}, with a token the server does not check. */
    static CliRun against(String url, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", url, "--token", "unused"));
        return run(all.toArray(String[]::new));
    }

    /** Runs {@code args} as they are. */
    static CliRun run(String... args) {
        List<String> all = List.of(args);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = SluiceCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(all.toArray(String[]::new));
        return new CliRun(code, out.toString(), err.toString());
    }
}
