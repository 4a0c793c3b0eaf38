package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What clients see of the data path, cluster-wide and per worker ({@code clients} in the cluster view, since
 * issue 13): the controller adds up the {@link ClientWindow}s of the workers' status reports once per pass and
 * publishes the sums with its status, so the API, the CLI and the dashboard show the same numbers. A number that
 * is not known is absent, never zero.
 *
 * @param at when the controller added the windows up (its clock, as the drains' {@code updatedAt})
 * @param windowSeconds the longest window a worker counted over (about ten seconds), or {@code null} when no worker
 *     reported one
 * @param total the whole cluster: the workers' rates added up and the 99th percentile over all their answers;
 *     {@code null} when no worker reported a window
 * @param nodes each alive worker that reported a window recently, by node id
 * @param notReporting the alive workers whose numbers are not known: no recent status report, or a release
 *     that does not count its clients
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ClientImpactView(Instant at, Double windowSeconds, Rates total, List<NodeRates> nodes, List<String> notReporting) {

    public ClientImpactView {
        Objects.requireNonNull(at, "at");
        nodes = Lists.copyOrEmpty(nodes);
        notReporting = Lists.copyOrEmpty(notReporting);
    }

    /**
     * Requests answered and failed per second, and how long answers took.
     *
     * @param failed the answers that were unavailable or internal errors (see {@link ClientWindow#failed()})
     * @param failedRatio failed answers per answer, from 0 to 1; {@code null} without requests
     * @param p99Millis the 99th percentile of the answers' latency, rounded up to its histogram bucket (within
     *     a fifth); {@code null} without requests
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Rates(double requestsPerSecond, double failedPerSecond, long requests, long failed, Double failedRatio, Double p99Millis) {}

    /** One worker's rates; {@code node} is its id ({@code N3}), {@code name} its name. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record NodeRates(String node, String name, Rates rates) {}
}
