package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What a worker's clients asked of its data routes over the last few seconds and how fast it answered
 * ({@code clients} in the worker status, since issue 13). Counts and a latency histogram rather than rates and a
 * percentile, so that the controller adds the windows of several workers up exactly: a cluster's p99 is not any
 * combination of its workers' p99s.
 *
 * @param from where the window starts on the worker's clock: a few seconds back, and never before the worker started
 * @param to where it ends: when the report was made
 * @param requests every request the data routes answered in the window, whatever the answer
 * @param failed those of them answered unavailable (no leader, timed out, disk full) or with an internal error:
 *     what a client had to retry, or gave up on. A redirect to the leader and a refused malformed request are
 *     answers, not failures
 * @param latency how long the answers took, as a histogram: the buckets that counted something, by increasing bound
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ClientWindow(Instant from, Instant to, long requests, long failed, List<LatencyBucket> latency) {

    /**
     * The shortest time a rate is taken over: a worker that started a moment ago has counted too little to tell
     * a rate from noise, and a window of length zero has none.
     */
    public static final Duration RATE_LENGTH_MIN = Duration.ofSeconds(1);

    /**
     * Answers that took at most {@code upToMillis} and more than the previous bucket's bound.
     *
     * @param upToMillis the bucket's upper bound in milliseconds
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record LatencyBucket(double upToMillis, long count) {}

    public ClientWindow {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (to.isBefore(from)) {
            throw new IllegalArgumentException("a client window ends (" + to + ") before it starts (" + from + ")");
        }
        if (requests < 0 || failed < 0 || failed > requests) {
            throw new IllegalArgumentException("a client window counts " + failed + " failed of " + requests + " requests");
        }
        latency = Lists.copyOrEmpty(latency);
    }

    /** The window's length in seconds, at least {@link #RATE_LENGTH_MIN}: what its counts are divided by. */
    public double rateSeconds() {
        Duration length = Duration.between(from, to);
        return (length.compareTo(RATE_LENGTH_MIN) < 0 ? RATE_LENGTH_MIN : length).toNanos() / 1e9;
    }

    public double requestsPerSecond() {
        return requests / rateSeconds();
    }

    public double failedPerSecond() {
        return failed / rateSeconds();
    }

    /** The 99th percentile of this window's latencies; empty when it answered nothing. */
    public OptionalDouble p99Millis() {
        return p99Millis(latency);
    }

    /**
     * The bound of the first bucket by which 99% of the answers counted in {@code buckets} (sorted by increasing
     * bound) were given, so the true percentile is at most this and above the previous bound; empty when they
     * count nothing.
     */
    public static OptionalDouble p99Millis(List<LatencyBucket> buckets) {
        long total = buckets.stream().mapToLong(LatencyBucket::count).sum();
        if (total == 0) {
            return OptionalDouble.empty();
        }
        // The rank of the 99th percentile among `total` answers, rounded up: with fewer than 100 answers it is
        // the slowest one.
        long rank = (total * 99 + 99) / 100;
        long seen = 0;
        for (LatencyBucket bucket : buckets) {
            seen += bucket.count();
            if (seen >= rank) {
                return OptionalDouble.of(bucket.upToMillis());
            }
        }
        throw new IllegalStateException("BUG: the rank " + rank + " of " + total + " answers lies beyond the last bucket");
    }
}
