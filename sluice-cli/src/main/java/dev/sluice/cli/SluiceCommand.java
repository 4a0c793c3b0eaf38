package dev.sluice.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command: the entry point of the shaded jar that {@code ./sluice} runs. */
@Command(
        name = "sluice",
        mixinStandardHelpOptions = true,
        versionProvider = SluiceCommand.Version.class,
        description = "Sluice: a control plane and runtime for partitioned, replicated services.",
        subcommands = {CommandLine.HelpCommand.class})
public final class SluiceCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(newCommandLine().execute(args));
    }

    public static CommandLine newCommandLine() {
        return new CommandLine(new SluiceCommand());
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Reads the version Maven wrote into the jar at build time. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = SluiceCommand.class.getResourceAsStream("/sluice-version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"sluice " + properties.getProperty("version", "unknown"), "Java " + Runtime.version()};
        }
    }
}
