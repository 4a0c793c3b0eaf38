package dev.sluice.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code sluice} command: the entry point of the shaded jar that {@code ./sluice} runs.
 *
 * <p>Exit codes: 0 success; 1 refused or failed (the message says why and what to do); 2 usage error;
 * 3 cannot reach the cluster (nothing answers there, or what answers is not a Sluice node).
 */
@Command(
        name = "sluice",
        mixinStandardHelpOptions = true,
        versionProvider = SluiceCommand.Version.class,
        description = "Sluice: a control plane and runtime for partitioned, replicated services.",
        footer = {"", "Exit codes: 0 success, 1 refused or failed, 2 usage error, 3 cannot reach the cluster",
            "(nothing answers, or not a Sluice node).",
            "",
            "Commands talk to --url, else SLUICE_URL, else the cluster 'sluice local' started last,",
            "else http://127.0.0.1:8080. 'sluice local' keeps each cluster's token in <data-dir>/token",
            "and records a copy for the cluster's addresses under SLUICE_HOME (default ~/.sluice):",
            "clusters/<host>-<port>/token, and the current cluster's address in current.",
            "A change sends --token, else --token-file, else SLUICE_TOKEN, else the token recorded for",
            "the address.",
            "",
            "Start here: ./sluice demo   (or: ./sluice local, then ./sluice nodes list)"},
        subcommands = {
            ServerCommand.class,
            CertsCommand.class,
            LocalCommand.class,
            DemoCommand.class,
            NodesCommand.class,
            PartitionsCommand.class,
            EventsCommand.class,
            KvCommand.class,
            LoadCommand.class,
            RolloutCommand.class,
            DrainsCommand.class,
            SettingsCommand.class,
            ZooKeeperCommand.class,
            CredentialsCommand.class,
            AutoComplete.GenerateCompletion.class,
            CommandLine.HelpCommand.class
        })
public final class SluiceCommand implements Runnable {

    /**
     * Columns of {@code --help}. Wide enough that descriptions wrap between words rather than inside the paths,
     * addresses and flags they name; footers (the examples) are written to fit it, so they print as written.
     */
    static final int USAGE_WIDTH = 100;
    /** Long options up to this wide share their line with the description; longer ones get a line of their own. */
    static final int LONG_OPTIONS_MAX_WIDTH = 32;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Short commands keep their output clean: warnings only, on stderr. Servers log everything.
        boolean longRunning = args.length > 0 && (args[0].equals("server") || args[0].equals("local"));
        if (!longRunning && System.getProperty("sluice.log.level") == null) {
            System.setProperty("sluice.log.level", "WARN");
            System.setProperty("sluice.log.target", "System.err");
        }
        System.exit(newCommandLine().execute(args));
    }

    public static CommandLine newCommandLine() {
        CommandLine commandLine = new CommandLine(new SluiceCommand());
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            if (exception instanceof CliException failure) {
                cmd.getErr().println(failure.getMessage());
                cmd.getErr().flush();
                return failure.exitCode();
            }
            throw exception;
        });
        commandLine.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(false);
        commandLine.setUsageHelpWidth(USAGE_WIDTH);
        commandLine.setUsageHelpLongOptionsMaxWidth(LONG_OPTIONS_MAX_WIDTH);
        commandLine.getSubcommands().values().forEach(SluiceCommand::withoutVersionOption);
        return commandLine;
    }

    /**
     * Drops {@code --version} from {@code command} and the commands below it: the standard help mixin brings it
     * to every command, but there is one version, the root command's.
     */
    private static void withoutVersionOption(CommandLine command) {
        CommandLine.Model.CommandSpec spec = command.getCommandSpec();
        CommandLine.Model.OptionSpec version = spec.findOption("--version");
        if (version != null) {
            spec.remove(version);
        }
        command.getSubcommands().values().forEach(SluiceCommand::withoutVersionOption);
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
