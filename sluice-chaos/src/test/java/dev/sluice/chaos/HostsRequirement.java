package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Optional;

/**
 * The rule of the tests that make hosts: skip, saying why, where this machine cannot make them; fail instead when
 * {@code SLUICE_CHAOS_REQUIRED} is set, so CI never skips them silently.
 */
final class HostsRequirement {

    private HostsRequirement() {
    }

    static void requireOrSkip(String test, Optional<String> unsupported) {
        if (System.getenv("SLUICE_CHAOS_REQUIRED") != null) {
            assertThat(unsupported).as("SLUICE_CHAOS_REQUIRED is set but %s cannot run here", test).isEmpty();
        }
        unsupported.ifPresent(why -> System.out.println(test + " skipped: " + why));
        assumeTrue(unsupported.isEmpty(), () -> "skipped: " + unsupported.orElseThrow());
    }
}
