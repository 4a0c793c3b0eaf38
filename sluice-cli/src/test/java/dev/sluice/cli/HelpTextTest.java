package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The usage of every command, as {@code --help} prints it, copies cleanly: wrapping happens between words
 * only, never inside a path, an address or a flag, and footers (where the examples are) are printed line for
 * line as written, so an example pasted into a shell is the command it shows.
 */
class HelpTextTest {

    /** Wide enough that nothing wraps: the words of a usage rendered this wide are the words as written. */
    static final int UNWRAPPED_WIDTH = 10_000;

    static List<CommandLine> everyCommand(CommandLine root) {
        List<CommandLine> all = new ArrayList<>();
        all.add(root);
        for (CommandLine sub : root.getSubcommands().values()) {
            if (!all.contains(sub)) {
                everyCommand(sub).stream().filter(c -> !all.contains(c)).forEach(all::add);
            }
        }
        return all;
    }

    static String usage(CommandLine command) {
        return command.getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    static Set<String> words(String text) {
        return Arrays.stream(text.split("\\s+")).filter(w -> !w.isEmpty()).collect(Collectors.toSet());
    }

    @Test
    void onlyTheRootCommandOffersVersionAndEveryCommandOffersHelp() {
        for (CommandLine command : everyCommand(SluiceCommand.newCommandLine())) {
            String name = command.getCommandSpec().qualifiedName();
            String usage = usage(command);
            assertThat(usage).as(name).contains("-h, --help");
            if (command.getParent() == null) {
                assertThat(usage).as(name).contains("-V, --version");
            } else {
                assertThat(usage).as(name).doesNotContain("--version");
            }
        }
    }

    @Test
    void wrappingNeverSplitsAWord() {
        List<CommandLine> printed = everyCommand(SluiceCommand.newCommandLine());
        CommandLine unwrappedRoot = SluiceCommand.newCommandLine();
        unwrappedRoot.setUsageHelpWidth(UNWRAPPED_WIDTH);
        List<CommandLine> unwrapped = everyCommand(unwrappedRoot);
        for (int i = 0; i < printed.size(); i++) {
            String name = printed.get(i).getCommandSpec().qualifiedName();
            Set<String> asWritten = words(usage(unwrapped.get(i)));
            assertThat(words(usage(printed.get(i)))).as("words of '%s --help' that are pieces of a split word", name)
                    .allMatch(asWritten::contains);
        }
    }

    @Test
    void footersArePrintedLineForLineAsWritten() {
        for (CommandLine command : everyCommand(SluiceCommand.newCommandLine())) {
            List<String> lines = usage(command).lines().map(String::stripTrailing).toList();
            for (String footerLine : command.getCommandSpec().usageMessage().footer()) {
                assertThat(lines).as("'%s --help' prints its footer line unwrapped", command.getCommandSpec().qualifiedName())
                        .contains(footerLine.stripTrailing());
            }
        }
    }

    @Test
    void theServerExamplesCopyAsTheyAreWritten() {
        String usage = usage(SluiceCommand.newCommandLine().getSubcommands().get("server"));

        assertThat(usage).contains("--zookeeper zk1:2181,zk2:2181,zk3:2181").contains("--embedded-zookeeper --replication 1");
    }

    @Test
    void keyAndValueOfKvAreDescribed() {
        CommandLine kv = SluiceCommand.newCommandLine().getSubcommands().get("kv");
        for (CommandLine command : List.of(kv.getSubcommands().get("put"), kv.getSubcommands().get("get"))) {
            for (CommandLine.Model.PositionalParamSpec parameter : command.getCommandSpec().positionalParameters()) {
                assertThat(String.join(" ", parameter.description())).as(parameter.paramLabel()).isNotBlank();
            }
        }
    }
}
