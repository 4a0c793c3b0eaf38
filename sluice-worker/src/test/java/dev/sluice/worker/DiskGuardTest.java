package dev.sluice.worker;

import static dev.sluice.worker.DiskSpaceRule.MIB;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.wire.DiskState;
import dev.sluice.wire.DiskStatus;
import dev.sluice.worker.GroupReconcilerTest.ManualClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The guard against a meter the test sets by hand: the states, their messages, and when they changed. */
class DiskGuardTest {

    static final Instant START = Instant.parse("2026-11-28T09:00:00Z");
    static final Path DIRECTORY = Path.of("/data/n2");

    final ManualClock clock = new ManualClock(START);
    /** A 64 MiB filesystem, floor 16 MiB: critical under 4 MiB, ok again from 20 MiB. */
    final DiskSpaceRule rule = new DiskSpaceRule(16 * MIB, 0);
    long free = 40 * MIB;
    IOException unreadable;
    final DiskGuard guard = new DiskGuard(DIRECTORY, rule, directory -> {
        if (unreadable != null) {
            throw unreadable;
        }
        return new DiskGuard.Reading(free, 64 * MIB);
    }, clock, () -> "N2");

    @Test
    void statesAndMessagesFollowTheReadings() {
        DiskStatus ok = guard.check();
        assertThat(ok.state()).isEqualTo(DiskState.OK);
        assertThat(ok.detail()).isEqualTo("node N2's data directory /data/n2 has 40 MiB free (floor 16 MiB)");
        assertThat(ok.floorBytes()).isEqualTo(16 * MIB);
        assertThat(ok.criticalBytes()).isEqualTo(4 * MIB);
        assertThat(ok.resumeBytes()).isEqualTo(20 * MIB);

        clock.advance(Duration.ofSeconds(1));
        free = 12 * MIB;
        DiskStatus low = guard.check();
        assertThat(low.state()).isEqualTo(DiskState.LOW);
        assertThat(low.since()).isEqualTo(START.plusSeconds(1));
        assertThat(low.detail()).isEqualTo("node N2's data directory /data/n2 has 12 MiB free, below the 16 MiB floor: "
                + "it takes no writes and leads no partition until 20 MiB are free");

        clock.advance(Duration.ofSeconds(1));
        free = 3 * MIB;
        DiskStatus critical = guard.check();
        assertThat(critical.state()).isEqualTo(DiskState.CRITICAL);
        assertThat(critical.detail()).isEqualTo("node N2's data directory /data/n2 has 3 MiB free, below the 4 MiB critical level: "
                + "its Raft server is stopped until 20 MiB are free");

        clock.advance(Duration.ofSeconds(1));
        free = 18 * MIB;
        DiskStatus stillCritical = guard.check();
        assertThat(stillCritical.state()).as("above the floor, under the resume level").isEqualTo(DiskState.CRITICAL);
        assertThat(stillCritical.since()).as("unchanged since it became critical").isEqualTo(START.plusSeconds(2));
        assertThat(stillCritical.checkedAt()).isEqualTo(START.plusSeconds(3));

        clock.advance(Duration.ofSeconds(1));
        free = 20 * MIB;
        assertThat(guard.check().state()).isEqualTo(DiskState.OK);
    }

    @Test
    void aWriteThatFailedForLackOfSpaceMakesTheNextCheckCriticalOnce() {
        guard.check();
        guard.spaceFailure("IOException: No space left on device");

        DiskStatus critical = guard.check();
        assertThat(critical.state()).isEqualTo(DiskState.CRITICAL);
        assertThat(critical.detail()).isEqualTo("a write on node N2 failed for lack of space in /data/n2 (IOException: No space left on device; "
                + "40 MiB free): its Raft server is stopped until 20 MiB are free");
        assertThat(guard.check().state()).as("the failure counts once; the space is there").isEqualTo(DiskState.OK);
    }

    @Test
    void aDirectoryThatCannotBeMeasuredKeepsItsStateAndSaysWhy() {
        free = 10 * MIB;
        assertThat(guard.check().state()).isEqualTo(DiskState.LOW);
        unreadable = new IOException("Input/output error");

        DiskStatus status = guard.check();
        assertThat(status.state()).isEqualTo(DiskState.LOW);
        assertThat(status.freeBytes()).as("the last reading").isEqualTo(10 * MIB);
        assertThat(status.detail()).isEqualTo("cannot measure the free space of /data/n2 on node N2: Input/output error");

        guard.spaceFailure("IOException: No space left on device");
        assertThat(guard.check().state()).as("a failed write still counts").isEqualTo(DiskState.CRITICAL);
    }

    @Test
    void aStartOnAFullDiskIsJudgedWithoutHysteresis() {
        free = 2 * MIB;
        assertThat(guard.check().state()).isEqualTo(DiskState.CRITICAL);
    }

    @Test
    void spaceFailuresAreRecognisedThroughWrappers() {
        assertThat(DiskGuard.isSpaceFailure(new CompletionException(new IOException("No space left on device")))).isTrue();
        assertThat(DiskGuard.isSpaceFailure(new UncheckedIOException(new IOException("Disk quota exceeded")))).isTrue();
        assertThat(DiskGuard.isSpaceFailure(new IOException("Log already failed", new IOException("No space left on device")))).isTrue();
        assertThat(DiskGuard.isSpaceFailure(new IOException("Input/output error"))).isFalse();
        assertThat(DiskGuard.isSpaceFailure(new IllegalStateException())).isFalse();
    }
}
