package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.Objects;

/**
 * The worker's data directory as its last free-space check saw it ({@code disk} in the worker status and
 * the readiness answer).
 *
 * @param state what the worker does about it
 * @param directory the data directory checked
 * @param freeBytes usable bytes at the last check ({@code -1} before the first one)
 * @param totalBytes the filesystem's size at the last check ({@code -1} before the first one)
 * @param floorBytes below this the worker is low
 * @param criticalBytes below this it is critical
 * @param resumeBytes a low or critical worker is ok again at or above this
 * @param since when the state last changed
 * @param checkedAt when the directory was last measured
 * @param detail the state in words, naming the node, the directory and the numbers; the message a refused
 *     write carries
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DiskStatus(
        DiskState state,
        String directory,
        long freeBytes,
        long totalBytes,
        long floorBytes,
        long criticalBytes,
        long resumeBytes,
        Instant since,
        Instant checkedAt,
        String detail) {

    public DiskStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(checkedAt, "checkedAt");
        Objects.requireNonNull(detail, "detail");
    }
}
