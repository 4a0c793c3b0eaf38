package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.Objects;

/**
 * A worker's graceful shutdown under way ({@code shutdown} in the worker status): from {@code since} it reports
 * not ready, creates no group and hands every leadership it holds to another member of that partition's group,
 * until it leads nothing or {@code deadline} passes; then it closes its groups, its Raft server and its metadata
 * session, and the process exits with status 0 (docs/operations.md, "Graceful shutdown").
 *
 * @param cause what asked for it, in words ({@code SIGTERM}, {@code asked through the admin API at N1 (worker-1)})
 * @param since when it began
 * @param deadline when the handover stops, moved or not: the node's shutdown timeout after {@code since}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ShutdownStatus(String cause, Instant since, Instant deadline) {

    public ShutdownStatus {
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(deadline, "deadline");
        if (deadline.isBefore(since)) {
            throw new IllegalArgumentException("a shutdown's deadline " + deadline + " is before its start " + since);
        }
    }
}
