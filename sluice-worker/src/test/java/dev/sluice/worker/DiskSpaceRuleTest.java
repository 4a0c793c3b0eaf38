package dev.sluice.worker;

import static dev.sluice.worker.DiskSpaceRule.MIB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.wire.DiskState;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The free-space levels and the state machine over them, including the class comment's worked example. */
class DiskSpaceRuleTest {

    static final long GIB = 1024 * MIB;

    final DiskSpaceRule defaults = DiskSpaceRule.defaults();

    @Test
    void theFloorIsTheLargerOfTheBytesAndThePercentage() {
        assertThat(defaults.floorBytes(2 * GIB)).as("5 % of 2 GiB is 102 MiB, under 256 MiB").isEqualTo(256 * MIB);
        assertThat(defaults.floorBytes(100 * GIB)).as("5 % of 100 GiB").isEqualTo(5 * GIB);
        assertThat(new DiskSpaceRule(16 * MIB, 0).floorBytes(100 * GIB)).isEqualTo(16 * MIB);
        assertThat(defaults.criticalBytes(2 * GIB)).isEqualTo(64 * MIB);
        assertThat(defaults.resumeBytes(2 * GIB)).isEqualTo(320 * MIB);
    }

    @Test
    void theWorkedExampleOfTheClassComment() {
        long total = 2 * GIB;
        DiskState state = DiskState.OK;
        List<DiskState> seen = new ArrayList<>();
        for (long freeMib : new long[] {300, 250, 60, 300, 330}) {
            state = defaults.next(state, freeMib * MIB, total, false);
            seen.add(state);
        }
        assertThat(seen).containsExactly(DiskState.OK, DiskState.LOW, DiskState.CRITICAL, DiskState.CRITICAL, DiskState.OK);
    }

    @Test
    void aLowWorkerStaysLowUntilTheResumeLevel() {
        long total = 2 * GIB;
        long floor = defaults.floorBytes(total);
        long resume = defaults.resumeBytes(total);
        assertThat(defaults.next(DiskState.OK, floor, total, false)).as("at the floor").isEqualTo(DiskState.OK);
        assertThat(defaults.next(DiskState.OK, floor - 1, total, false)).as("a byte under it").isEqualTo(DiskState.LOW);
        assertThat(defaults.next(DiskState.LOW, floor, total, false)).as("back at the floor, under the resume level").isEqualTo(DiskState.LOW);
        assertThat(defaults.next(DiskState.LOW, resume - 1, total, false)).isEqualTo(DiskState.LOW);
        assertThat(defaults.next(DiskState.LOW, resume, total, false)).isEqualTo(DiskState.OK);
    }

    @Test
    void aCriticalWorkerGoesStraightBackToOkAtTheResumeLevelAndNotBefore() {
        long total = 2 * GIB;
        assertThat(defaults.next(DiskState.OK, defaults.criticalBytes(total) - 1, total, false)).as("from ok, straight to critical")
                .isEqualTo(DiskState.CRITICAL);
        assertThat(defaults.next(DiskState.CRITICAL, defaults.floorBytes(total) + MIB, total, false)).as("above the floor, under the resume level")
                .isEqualTo(DiskState.CRITICAL);
        assertThat(defaults.next(DiskState.CRITICAL, defaults.resumeBytes(total), total, false)).isEqualTo(DiskState.OK);
    }

    @Test
    void aWriteThatFailedForLackOfSpaceIsCriticalWhateverTheReading() {
        long total = 2 * GIB;
        for (DiskState from : DiskState.values()) {
            assertThat(defaults.next(from, total, total, true)).as("from %s with the whole disk free", from).isEqualTo(DiskState.CRITICAL);
        }
        assertThat(defaults.next(DiskState.CRITICAL, total, total, false)).as("the check after it, with room").isEqualTo(DiskState.OK);
    }

    /** Seeded walk: whatever the sequence of readings, the state is a function of the thresholds with hysteresis. */
    @Test
    void randomReadingsNeverLeaveTheRulesInvariants() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        DiskSpaceRule rule = new DiskSpaceRule(16 * MIB, random.nextInt(0, 10));
        long total = random.nextLong(64 * MIB, 4 * GIB);
        DiskState state = DiskState.OK;
        for (int step = 0; step < 10_000; step++) {
            long free = random.nextLong(0, total + 1);
            boolean failed = random.nextInt(50) == 0;
            DiskState next = rule.next(state, free, total, failed);
            String at = "seed " + seed + ", step " + step + ": " + state + " with " + free + " of " + total + " free, failed " + failed;
            if (failed || free < rule.criticalBytes(total)) {
                assertThat(next).as(at).isEqualTo(DiskState.CRITICAL);
            } else if (free >= rule.resumeBytes(total)) {
                assertThat(next).as(at).isEqualTo(DiskState.OK);
            } else if (free < rule.floorBytes(total)) {
                assertThat(next).as(at).isIn(DiskState.LOW, DiskState.CRITICAL);
                assertThat(next == DiskState.CRITICAL).as(at).isEqualTo(state == DiskState.CRITICAL);
            } else {
                assertThat(next).as(at + " (between floor and resume level: unchanged)").isEqualTo(state);
            }
            state = next;
        }
    }

    @Test
    void outOfRangeSettingsAreRefusedWithTheBound() {
        assertThatThrownBy(() -> new DiskSpaceRule(MIB, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the minimum free space must be at least 4 MiB, got 1 MiB");
        assertThatThrownBy(() -> new DiskSpaceRule(256 * MIB, 51)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the minimum free space percentage must be between 0 and 50, got 51");
        assertThatThrownBy(() -> new DiskSpaceRule(256 * MIB, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sizesParseWithBinaryUnits() {
        assertThat(DiskSpaceRule.parseBytes("256MiB")).isEqualTo(256 * MIB);
        assertThat(DiskSpaceRule.parseBytes(" 2 GiB ")).isEqualTo(2 * GIB);
        assertThat(DiskSpaceRule.parseBytes("512k")).isEqualTo(512 * 1024);
        assertThat(DiskSpaceRule.parseBytes("1T")).isEqualTo(1024 * GIB);
        assertThat(DiskSpaceRule.parseBytes("4096")).isEqualTo(4096);
        assertThatThrownBy(() -> DiskSpaceRule.parseBytes("5%")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'5%' is not a size; use bytes or a number with KiB, MiB, GiB or TiB (256MiB)");
        assertThatThrownBy(() -> DiskSpaceRule.parseBytes("99999999999999999999")).hasMessage("'99999999999999999999' is too large a size");
        assertThatThrownBy(() -> DiskSpaceRule.parseBytes("9999999999T")).hasMessage("'9999999999T' is too large a size");
    }
}
