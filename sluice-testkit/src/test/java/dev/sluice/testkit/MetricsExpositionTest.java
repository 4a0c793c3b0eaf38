package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.controller.ControllerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every node's {@code /metrics} follows Prometheus's naming rules, and a series about the whole cluster
 * comes from exactly one node, the controller leader, instead of zeros from the others.
 */
class MetricsExpositionTest {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([^=,]+)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    /** Gauges that describe the cluster, not the node that exports them. */
    private static final Set<String> CLUSTER_GAUGES = Set.of("sluice_workers", "sluice_worker_replicas", "sluice_worker_leaders", "sluice_moves_in_flight",
            "sluice_drains_in_progress");
    /** The metadata store's outcomes and the data routes' ({@code dev.sluice.worker.ClientOutcome}). */
    private static final Set<String> OUTCOMES = Set.of("ok", "precondition_failed", "fence_lost", "unavailable", "error", "redirected", "rejected");

    @Test
    void everyNodeFollowsTheNamingRulesAndClusterSeriesComeFromTheLeaderOnly() throws Exception {
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(3).partitions(6).replication(3)
                .controlPlane(ControllerConfig.DEFAULTS, Optional.empty()).start();
                HttpClient http = HttpClient.newHttpClient()) {
            cluster.awaitLeaders(Duration.ofMinutes(1));
            await("one node exports the cluster's gauges").atMost(Duration.ofMinutes(1))
                    .until(() -> exporting(cluster, http, "sluice_workers").size() == 1);

            for (TestNode node : cluster.nodes()) {
                String exposition = scrape(http, node.url());
                assertThat(violations(exposition)).as("naming violations on %s", node.name()).isEmpty();
                assertThat(exposition).contains("sluice_node_replica_max_lag_entries")
                        .contains("sluice_node_stuck_transfer_step_downs_total{cause=\"writes-refused\"} 0.0")
                        .contains("sluice_node_catch_up_rate_limit_bytes_per_second 0.0").contains("sluice_node_catch_up_bytes_total{kind=\"snapshot\"}")
                        .contains("sluice_node_catch_up_bytes_total{kind=\"log\"}").contains("sluice_node_catch_up_wait_seconds_total 0.0");
                assertThat(exposition).contains("sluice_client_request_seconds_count{operation=\"write\",outcome=\"unavailable\"}")
                        .containsPattern("sluice_client_request_seconds_bucket\\{[^}]*outcome=\"redirected\"");
            }
            for (String gauge : CLUSTER_GAUGES) {
                assertThat(exporting(cluster, http, gauge)).as("nodes exporting %s", gauge).hasSize(1);
            }
        }
    }

    /** Checks the checker on an exposition with one mistake of each kind. */
    @Test
    void theRulesCatchEachKindOfMistake() {
        String bad = String.join("\n",
                "# TYPE sluice_moves_inflight gauge",
                "sluice_moves_inflight 1.0",
                "# TYPE sluice_things counter",
                "sluice_things 2.0",
                "# TYPE sluice_metadata_operation_seconds summary",
                "sluice_metadata_operation_seconds_count{operation=\"get\",outcome=\"MetadataUnavailableException\"} 1.0",
                "# TYPE sluice_node_replica_lag_max gauge",
                "sluice_node_replica_lag_max 3.0",
                "# TYPE sluice_pass_seconds summary",
                "sluice_pass_seconds_count 1.0",
                "# TYPE sluice_pass_seconds_max gauge",
                "sluice_pass_seconds_max 0.1",
                "# TYPE sluice_ok_total counter",
                "sluice_ok_total{node=\"N1\"} 1.0");
        assertThat(violations(bad)).hasSize(4)
                .anySatisfy(v -> assertThat(v).contains("sluice_moves_inflight"))
                .anySatisfy(v -> assertThat(v).contains("sluice_things"))
                .anySatisfy(v -> assertThat(v).contains("MetadataUnavailableException"))
                .anySatisfy(v -> assertThat(v).contains("sluice_node_replica_lag_max"));
    }

    /**
     * Prometheus's naming rules as Sluice applies them: snake_case names and labels; counters end in
     * {@code _total}; words are separated ({@code in_flight}, not {@code inflight}); only a timer's maximum
     * (Micrometer's {@code <timer>_max} beside the timer's summary or histogram) ends in {@code _max}; label
     * values are not Java class names.
     */
    static List<String> violations(String exposition) {
        List<String> found = new ArrayList<>();
        Map<String, String> types = new HashMap<>();
        for (String line : exposition.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                types.put(parts[2], parts[3]);
            }
        }
        for (String line : exposition.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                String base = types.getOrDefault(parts[2].replaceFirst("_max$", ""), "");
                boolean timerMaximum = parts[2].endsWith("_max") && (base.equals("summary") || base.equals("histogram"));
                if (parts[2].startsWith("sluice_") && parts[2].matches(".*(inflight|inprogress).*")) {
                    found.add(parts[2] + ": join words with underscores");
                }
                if (parts[2].startsWith("sluice_") && parts[3].equals("counter") && !parts[2].endsWith("_total")) {
                    found.add(parts[2] + ": a counter's name ends in _total");
                }
                if (parts[2].startsWith("sluice_") && parts[3].equals("gauge") && parts[2].endsWith("_max") && !timerMaximum) {
                    found.add(parts[2] + ": _max is the suffix of a timer's maximum; name the unit instead");
                }
                continue;
            }
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches()) {
                found.add("unparseable line: " + line);
                continue;
            }
            if (!sample.group(1).matches("[a-z][a-z0-9_]*")) {
                found.add(sample.group(1) + ": not snake_case");
            }
            if (sample.group(3) != null) {
                Matcher label = LABEL.matcher(sample.group(3));
                while (label.find()) {
                    String name = label.group(1);
                    String value = label.group(2);
                    if (!name.matches("[a-z][a-z0-9_]*")) {
                        found.add(sample.group(1) + ": label " + name + " is not snake_case");
                    }
                    if (value.matches(".*[A-Z][a-z]+(Exception|Error)$")) {
                        found.add(sample.group(1) + ": label " + name + " carries a class name: " + value);
                    } else if (name.equals("outcome") && sample.group(1).startsWith("sluice_") && !OUTCOMES.contains(value)) {
                        found.add(sample.group(1) + ": outcome " + value + " is not one of " + OUTCOMES);
                    }
                }
            }
        }
        return found;
    }

    private static List<String> exporting(LocalTestCluster cluster, HttpClient http, String family) throws IOException, InterruptedException {
        List<String> nodes = new ArrayList<>();
        for (TestNode node : cluster.nodes()) {
            for (String line : scrape(http, node.url()).split("\n")) {
                if (line.startsWith(family + " ") || line.startsWith(family + "{")) {
                    nodes.add(node.name());
                    break;
                }
            }
        }
        return nodes;
    }

    private static String scrape(HttpClient http, URI node) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(node.resolve("/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }
}
