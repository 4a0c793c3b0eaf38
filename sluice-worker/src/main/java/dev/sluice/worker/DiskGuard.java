package dev.sluice.worker;

import dev.sluice.wire.DiskState;
import dev.sluice.wire.DiskStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the free space of the worker's data directory: measures it every check, decides the
 * {@link DiskState} with the {@link DiskSpaceRule}, and owns the last {@link DiskStatus}. It decides only;
 * the worker follows the state after each check (refusing writes, moving leaderships, stopping and starting
 * the Raft server), so a reaction that fails is simply tried again at the next check.
 *
 * <p>Besides the periodic reading, a write that failed for lack of space is reported at once through
 * {@link #spaceFailure}: when something fills the disk faster than the checks see it, Ratis hits the wall
 * first, and its failed log must be restarted whatever the next reading says.
 *
 * <p>Threads: {@link #check} runs on one thread at a time (the worker's loop); {@link #spaceFailure} may be
 * called from any thread (Ratis's log workers).
 */
final class DiskGuard {

    private static final Logger log = LoggerFactory.getLogger(DiskGuard.class);

    /** What the filesystem holding the data directory says now. */
    record Reading(long freeBytes, long totalBytes) {}

    /** Measures the filesystem of a directory; the real one asks the {@link java.nio.file.FileStore}. */
    interface Meter {
        Reading read(Path directory) throws IOException;

        Meter FILE_STORE = directory -> {
            var store = Files.getFileStore(directory);
            return new Reading(store.getUsableSpace(), store.getTotalSpace());
        };
    }

    private final Path directory;
    private final DiskSpaceRule rule;
    private final Meter meter;
    private final InstantSource clock;
    private final Supplier<String> node;
    private final AtomicReference<String> pendingFailure = new AtomicReference<>();
    private volatile DiskStatus status;
    private String lastLogged = "";

    /**
     * @param node the node's name for messages ({@code N2} once registered)
     */
    DiskGuard(Path directory, DiskSpaceRule rule, Meter meter, InstantSource clock, Supplier<String> node) {
        this.directory = directory;
        this.rule = rule;
        this.meter = meter;
        this.clock = clock;
        this.node = node;
        Instant now = clock.instant();
        this.status = new DiskStatus(DiskState.OK, directory.toString(), -1, -1, rule.minFreeBytes(), rule.minFreeBytes() / 4,
                rule.minFreeBytes() + rule.minFreeBytes() / 4, now, now, "not measured yet");
    }

    DiskStatus status() {
        return status;
    }

    DiskState state() {
        return status.state();
    }

    /**
     * Records that a write failed for lack of space (from any thread); the next {@link #check} turns the state
     * {@link DiskState#CRITICAL}.
     *
     * @param what the failure in words, for the status
     */
    void spaceFailure(String what) {
        pendingFailure.set(what);
    }

    /** Whether {@code failure} (or a cause of it) is the filesystem saying it is full or over quota. */
    static boolean isSpaceFailure(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            String message = Optional.ofNullable(cause.getMessage()).orElse("").toLowerCase(Locale.ROOT);
            if (message.contains("no space left on device") || message.contains("disk quota exceeded")) {
                return true;
            }
        }
        return false;
    }

    /** Measures the directory and decides the state; returns the new status. One thread at a time. */
    DiskStatus check() {
        DiskStatus previous = status;
        Instant now = clock.instant();
        String failure = pendingFailure.getAndSet(null);
        Reading reading;
        try {
            reading = meter.read(directory);
        } catch (IOException | RuntimeException unmeasurable) {
            // Deciding on no data could stop a healthy node; a failed write still counts.
            DiskState state = failure != null ? DiskState.CRITICAL : previous.state();
            String detail = "cannot measure the free space of " + directory + " on node " + node.get() + ": " + unmeasurable.getMessage()
                    + (failure != null ? "; a write failed for lack of space (" + failure + ")" : "");
            status = new DiskStatus(state, directory.toString(), previous.freeBytes(), previous.totalBytes(), previous.floorBytes(),
                    previous.criticalBytes(), previous.resumeBytes(), state == previous.state() ? previous.since() : now, now, detail);
            report(previous, status);
            return status;
        }
        // The first check starts from ok, so a worker that starts on a full disk is judged by the floor and the
        // critical level alone.
        DiskState state = rule.next(previous.state(), reading.freeBytes(), reading.totalBytes(), failure != null);
        status = new DiskStatus(state, directory.toString(), reading.freeBytes(), reading.totalBytes(), rule.floorBytes(reading.totalBytes()),
                rule.criticalBytes(reading.totalBytes()), rule.resumeBytes(reading.totalBytes()), state == previous.state() ? previous.since() : now, now,
                describe(state, reading, failure));
        report(previous, status);
        return status;
    }

    private String describe(DiskState state, Reading reading, String failure) {
        long total = reading.totalBytes();
        String where = "node " + node.get() + "'s data directory " + directory;
        String free = DiskSpaceRule.describeBytes(reading.freeBytes()) + " free";
        String resume = DiskSpaceRule.describeBytes(rule.resumeBytes(total));
        return switch (state) {
            case OK -> where + " has " + free + " (floor " + DiskSpaceRule.describeBytes(rule.floorBytes(total)) + ")";
            case LOW -> where + " has " + free + ", below the " + DiskSpaceRule.describeBytes(rule.floorBytes(total))
                    + " floor: it takes no writes and leads no partition until " + resume + " are free";
            case CRITICAL -> (failure != null
                    ? "a write on node " + node.get() + " failed for lack of space in " + directory + " (" + failure + "; " + free + ")"
                    : where + " has " + free + ", below the " + DiskSpaceRule.describeBytes(rule.criticalBytes(total)) + " critical level")
                    + ": its Raft server is stopped until " + resume + " are free";
        };
    }

    private void report(DiskStatus previous, DiskStatus now) {
        if (now.state() != previous.state()) {
            if (now.state() == DiskState.OK) {
                log.info("disk {} → {}: {}", previous.state(), now.state(), now.detail());
            } else {
                log.warn("disk {} → {}: {}", previous.state(), now.state(), now.detail());
            }
            lastLogged = now.detail();
        } else if (now.detail().startsWith("cannot measure") && !now.detail().equals(lastLogged)) {
            log.warn("{}", now.detail());
            lastLogged = now.detail();
        }
    }
}
