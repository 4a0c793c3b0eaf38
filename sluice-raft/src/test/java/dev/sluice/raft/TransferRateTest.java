package dev.sluice.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransferRateTest {

    static final long MIB = 1024 * 1024;

    /** A clock that only moves when the limiter sleeps, so each wait is exact. */
    private final long[] now = {1_000_000_000L};
    private final List<Long> waits = new ArrayList<>();

    private TransferRate rate(long bytesPerSecond) {
        return new TransferRate(bytesPerSecond, () -> now[0], nanos -> {
            waits.add(nanos);
            now[0] += nanos;
        });
    }

    @Test
    void messagesAreSpacedByTheirSizeOverTheRate() throws InterruptedException {
        TransferRate rate = rate(2 * MIB);
        assertThat(rate.acquire(MIB)).as("the first passes at once").isZero();
        assertThat(rate.acquire(MIB)).as("the second waits for the first's half second").isEqualTo(500_000_000L);
        assertThat(rate.acquire(MIB / 2)).isEqualTo(500_000_000L);
        assertThat(rate.acquire(MIB)).isEqualTo(250_000_000L);
        assertThat(rate.nanosWaited()).isEqualTo(1_250_000_000L);
        assertThat(rate.bytesLetThrough()).isEqualTo(3 * MIB + MIB / 2);
    }

    @Test
    void overAnyIntervalAtMostTheRateTimesTheIntervalPlusOneMessagePasses() throws InterruptedException {
        TransferRate rate = rate(2 * MIB);
        long start = now[0];
        long bytes = 0;
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int i = 0; i < 200; i++) {
            long size = random.nextLong(1, 2 * MIB);
            rate.acquire(size);
            bytes += size;
            long elapsed = now[0] - start;
            assertThat(bytes - size).as("bytes before this message within %d ns", elapsed).isLessThanOrEqualTo(elapsed * 2 * MIB / 1_000_000_000L + 1);
        }
    }

    @Test
    void anIdlePeriodBuildsNoCredit() throws InterruptedException {
        TransferRate rate = rate(2 * MIB);
        rate.acquire(MIB);
        now[0] += 60_000_000_000L;
        assertThat(rate.acquire(MIB)).isZero();
        assertThat(rate.acquire(MIB)).as("one message's time, not a minute's burst").isEqualTo(500_000_000L);
    }

    @Test
    void unlimitedNeverWaitsAndARateChangeAppliesToTheNextMessage() throws InterruptedException {
        TransferRate rate = rate(TransferRate.UNLIMITED);
        for (int i = 0; i < 10; i++) {
            assertThat(rate.acquire(100 * MIB)).isZero();
        }
        rate.set(4 * MIB);
        assertThat(rate.acquire(4 * MIB)).isZero();
        assertThat(rate.acquire(MIB)).isEqualTo(1_000_000_000L);
        rate.set(TransferRate.UNLIMITED);
        assertThat(rate.acquire(MIB)).isZero();
        assertThat(waits).containsExactly(1_000_000_000L);
    }

    @Test
    void aRateBelowTheFloorIsRefusedAndChangesNothing() {
        TransferRate rate = rate(8 * MIB);
        assertThatThrownBy(() -> rate.set(2 * MIB - 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a transfer rate limit must be at least 2097152 bytes/s (2 MiB/s), or 0 for none; got 2097151");
        assertThatThrownBy(() -> rate.set(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(rate.bytesPerSecond()).isEqualTo(8 * MIB);
        assertThat(TransferRate.validate(0)).isZero();
        assertThat(TransferRate.validate(2 * MIB)).isEqualTo(2 * MIB);
    }

    @Test
    void aLimitMustLeaveEachConcurrentMoveItsShare() {
        TransferRate.requireRoomFor(8 * MIB, 4);
        TransferRate.requireRoomFor(TransferRate.UNLIMITED, 1000);
        assertThatThrownBy(() -> TransferRate.requireRoomFor(6 * MIB, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a transfer limit of 6 MiB/s is too low for 4 changes per worker: the moves into one worker share it, and each needs at least"
                        + " 2 MiB/s or its leader's requests time out and are sent again; give at least 8 MiB/s or fewer changes per worker");
    }
}
