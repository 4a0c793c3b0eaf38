package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void eachRangeUsesItsTwoLargestUnits() {
        assertThat(Durations.human(Duration.ZERO)).isEqualTo("0 ms");
        assertThat(Durations.human(Duration.ofMillis(850))).isEqualTo("850 ms");
        assertThat(Durations.human(Duration.ofMillis(15_900))).isEqualTo("15 s");
        assertThat(Durations.human(Duration.ofMinutes(2))).isEqualTo("2 min");
        assertThat(Durations.human(Duration.ofSeconds(133))).isEqualTo("2 min 13 s");
        assertThat(Durations.human(Duration.ofMinutes(65))).isEqualTo("1 h 5 min");
        assertThat(Durations.human(Duration.ofHours(3))).isEqualTo("3 h");
        assertThat(Durations.human(Duration.ofHours(50))).isEqualTo("2 d 2 h");
    }

    @Test
    void aNegativeDurationIsRefused() {
        assertThatThrownBy(() -> Durations.human(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
    }
}
