package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WireNamesTest {

    @Test
    void caseSpacesAndUnderscoresAreForgiven() {
        assertThat(WorkerState.parse(" Draining ")).isEqualTo(WorkerState.DRAINING);
        assertThat(EventKind.parse("NODE_TRANSITION")).isEqualTo(EventKind.NODE_TRANSITION);
    }

    /** {@code trim()} drops every character up to U+0020, so these used to parse as {@code draining}. */
    @Test
    void controlCharactersAreRefusedAndShownEscaped() {
        for (String bad : new String[] {"draining\u0000", "\u001bdraining", "draining\n", "\tdraining", "drain\u007fing"}) {
            assertThatThrownBy(() -> WorkerState.parse(bad)).as(WireNames.printable(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("contains a control character")
                    .hasMessageNotContaining("\u0000").hasMessageNotContaining("\u001b");
        }
        assertThatThrownBy(() -> WorkerState.parse("draining\u0000")).hasMessage("worker state 'draining\\u0000' contains a control character");
    }
}
