package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScheduleTest {

    @Test
    void theSameSeedPlansTheSameFaults() {
        long seed = new Random().nextLong();
        System.out.println("ScheduleTest seed " + seed);

        assertThat(Schedule.generate(seed, Duration.ofMinutes(30))).as("seed %d", seed).isEqualTo(Schedule.generate(seed, Duration.ofMinutes(30)));
        assertThat(Schedule.generate(seed, Duration.ofMinutes(30)).faults()).as("seed %d", seed)
                .isNotEqualTo(Schedule.generate(seed + 1, Duration.ofMinutes(30)).faults());
    }

    @Test
    void faultsDoNotOverlapStayInTheWindowAndHoldWithinTheirBounds() {
        long seed = new Random().nextLong();
        Duration window = Duration.ofMinutes(20);
        Schedule schedule = Schedule.generate(seed, window);

        Duration previousEnd = Schedule.WARM_UP;
        for (Schedule.Fault fault : schedule.faults()) {
            assertThat(fault.startAt()).as("seed %d: %s", seed, fault.describe()).isGreaterThanOrEqualTo(previousEnd);
            assertThat(fault.holdFor()).as("seed %d: %s", seed, fault.describe()).isBetween(fault.kind().minHold(), fault.kind().maxHold());
            previousEnd = fault.startAt().plus(fault.holdFor()).plus(Schedule.MIN_GAP);
            assertThat(fault.startAt().plus(fault.holdFor())).isLessThanOrEqualTo(window);
        }
    }

    @Test
    void aRunRestrictedToSomeKindsDealsOnlyThose() {
        long seed = new Random().nextLong();
        Set<FaultKind> dealt = EnumSet.noneOf(FaultKind.class);
        Schedule schedule = Schedule.generate(seed, Duration.ofSeconds(120), FaultKind.parse("fill-disk"));
        schedule.faults().forEach(f -> dealt.add(f.kind()));
        assertThat(dealt).as("seed %d", seed).containsExactly(FaultKind.FILL_DISK);
        assertThat(schedule.faults()).as("seed %d: a two-minute window holds several", seed).hasSizeGreaterThanOrEqualTo(3);

        assertThat(FaultKind.parse(" kill-node, fill-disk,kill-node")).containsExactly(FaultKind.KILL_NODE, FaultKind.FILL_DISK);
        assertThat(FaultKind.parse("")).containsExactly(FaultKind.values());
        assertThatThrownBy(() -> FaultKind.parse("fill-disks")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown fault kind 'fill-disks' in sluice.chaos.kinds; known: [kill-node, ");
    }

    @Test
    void aLongRunDealsEveryKindAndAShortOneSeveral() {
        long seed = new Random().nextLong();
        Set<FaultKind> inLong = EnumSet.noneOf(FaultKind.class);
        Schedule.generate(seed, Duration.ofMinutes(30)).faults().forEach(f -> inLong.add(f.kind()));
        Set<FaultKind> inShort = EnumSet.noneOf(FaultKind.class);
        Schedule.generate(seed, Duration.ofSeconds(120)).faults().forEach(f -> inShort.add(f.kind()));

        assertThat(inLong).as("seed %d", seed).containsExactlyInAnyOrder(FaultKind.values());
        assertThat(inShort).as("seed %d", seed).hasSizeGreaterThanOrEqualTo(3);
    }
}
