package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/controller.md describes the protocol the code runs: its step table and its stall reasons match the enums. */
class ControllerDocsTest {

    private static final Path DOC = Path.of("..", "docs", "controller.md");

    @Test
    void theStepTableListsEveryStepKindInTheStepperOrder() throws IOException {
        String doc = Files.readString(DOC);
        String table = doc.substring(doc.indexOf("## A replica-set change, step by step"), doc.indexOf("Each step is idempotent"));
        List<String> documented = new ArrayList<>();
        Matcher row = Pattern.compile("(?m)^\\| `([a-z-]+)` \\|").matcher(table);
        while (row.find()) {
            documented.add(row.group(1));
        }
        assertThat(documented).containsExactlyElementsOf(Arrays.stream(MoveStep.Kind.values()).map(MoveStep.Kind::wireName).toList());
    }

    @Test
    void theStallSectionNamesEveryStallReason() throws IOException {
        String doc = Files.readString(DOC);
        String section = doc.substring(doc.indexOf("## Drain progress and stalls"), doc.indexOf("A partition is stalled when"));
        List<String> documented = new ArrayList<>();
        Matcher name = Pattern.compile("`([a-z-]+)`").matcher(section);
        while (name.find()) {
            documented.add(name.group(1));
        }
        assertThat(documented).containsExactlyInAnyOrderElementsOf(Arrays.stream(StallReason.values()).map(StallReason::wireName).toList());
    }
}
