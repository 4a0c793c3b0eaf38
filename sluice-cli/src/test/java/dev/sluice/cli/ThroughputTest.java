package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** `load --rate 500` once reached ~223/s and said nothing about it. */
class ThroughputTest {

    @Test
    void aRunThatFellShortOfTheAskedRateSaysSoAndWhatHelps() {
        Throughput slow = new Throughput(500, 4, 6_690, Duration.ofSeconds(30));
        assertThat(slow.rate()).isEqualTo("223/s of 500/s asked");
        assertThat(slow.shortfall()).hasValueSatisfying(text -> assertThat(text)
                .contains("223 writes/s of the 500/s asked").contains("4 writer(s)").contains("--writers"));
    }

    @Test
    void aRunAtTheAskedRateOrWithNoRateAskedSaysNothingMore() {
        assertThat(new Throughput(500, 4, 14_700, Duration.ofSeconds(30)).shortfall()).isEmpty();
        Throughput unlimited = new Throughput(0, 4, 9_000, Duration.ofSeconds(30));
        assertThat(unlimited.rate()).isEqualTo("300/s");
        assertThat(unlimited.shortfall()).isEmpty();
    }

    @Test
    void noTimeElapsedIsNoRateRatherThanADivisionByZero() {
        assertThat(new Throughput(100, 1, 0, Duration.ZERO).achievedPerSecond()).isZero();
    }
}
