package dev.sluice.controller;

import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.wire.ClientImpactView;
import dev.sluice.wire.ClientWindow;
import dev.sluice.wire.ClientWindow.LatencyBucket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;

/**
 * Adds the workers' client windows up into the client impact the controller publishes with its status: what the
 * admin API's cluster view, and through it the CLI and the dashboard, show of the data path. Pure.
 *
 * <p>Rates add up across workers, each taken over its own window (their windows end at their own reports, a few
 * seconds apart at most). The cluster's 99th percentile comes from the workers' latency histograms merged bucket by
 * bucket, not from their p99s: a worker that answered three slow requests must not set the percentile of a cluster
 * that answered thousands fast.
 */
final class ClientImpact {

    private ClientImpact() {}

    /**
     * @param workers the workers of the nodes configuration
     * @param alive the nodes with a liveness entry; a dead worker is neither counted nor listed as not reporting
     * @param windows the windows of the workers whose last status report is fresh and has one
     * @param at when the controller adds them up
     */
    static ClientImpactView of(List<NodeConfig> workers, Set<NodeId> alive, Map<NodeId, ClientWindow> windows, Instant at) {
        List<ClientImpactView.NodeRates> nodes = new ArrayList<>();
        List<String> notReporting = new ArrayList<>();
        double requestsPerSecond = 0;
        double failedPerSecond = 0;
        long requests = 0;
        long failed = 0;
        Duration longest = null;
        Map<Double, Long> latency = new TreeMap<>();
        for (NodeConfig worker : workers.stream().sorted(Comparator.comparing(NodeConfig::nodeId)).toList()) {
            NodeId id = worker.nodeId();
            if (!alive.contains(id)) {
                continue;
            }
            ClientWindow window = windows.get(id);
            if (window == null) {
                notReporting.add(id.toString());
                continue;
            }
            nodes.add(new ClientImpactView.NodeRates(id.toString(), worker.name(), rates(window.requestsPerSecond(), window.failedPerSecond(),
                    window.requests(), window.failed(), window.latency())));
            requestsPerSecond += window.requestsPerSecond();
            failedPerSecond += window.failedPerSecond();
            requests += window.requests();
            failed += window.failed();
            Duration length = Duration.between(window.from(), window.to());
            longest = longest == null || length.compareTo(longest) > 0 ? length : longest;
            window.latency().forEach(bucket -> latency.merge(bucket.upToMillis(), bucket.count(), Long::sum));
        }
        ClientImpactView.Rates total = nodes.isEmpty() ? null : rates(requestsPerSecond, failedPerSecond, requests, failed,
                latency.entrySet().stream().map(bucket -> new LatencyBucket(bucket.getKey(), bucket.getValue())).toList());
        return new ClientImpactView(at, longest == null ? null : longest.toMillis() / 1000.0, total, nodes, notReporting);
    }

    private static ClientImpactView.Rates rates(double requestsPerSecond, double failedPerSecond, long requests, long failed,
            List<LatencyBucket> latency) {
        OptionalDouble p99 = ClientWindow.p99Millis(latency);
        return new ClientImpactView.Rates(requestsPerSecond, failedPerSecond, requests, failed, requests == 0 ? null : (double) failed / requests,
                p99.isPresent() ? p99.getAsDouble() : null);
    }
}
