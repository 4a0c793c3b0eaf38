package dev.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code nodes disable --force} drops replicas at once, so it has a dry run like the drain's. */
class DisableDryRunTest {

    private static final String PLAN = """
            {"dryRun": true, "node": {"id": "N3", "incarnation": "N3:1", "name": "worker-3", "state": "active", "alive": true, "replicas": 18,
               "leaderships": 0}, "target": "disabled", "allowed": true,
             "moves": [{"partition": "P1", "from": "N3", "to": "N1"}], "leadershipChanges": [],
             "warnings": ["N3 holds 18 replicas: disabling it now drops them and they are re-created elsewhere"]}""";

    private static final String NODES = """
            [{"id": "N1", "incarnation": "N1:1", "name": "worker-1", "state": "active", "alive": true, "replicas": 18, "leaderships": 9},
             {"id": "N3", "incarnation": "N3:1", "name": "worker-3", "state": "active", "alive": true, "replicas": 18, "leaderships": 0}]""";

    @Test
    void aForcedDisableCanBeTriedFirstAndChangesNothing() throws Exception {
        try (FakeNode node = new FakeNode().answer("POST", "/api/v1/nodes/N3/state", 200, PLAN)
                .answer("GET", "/api/v1/nodes", 200, NODES)) {
            CliEndToEndIT.Run run = CliEndToEndIT.sluice("nodes", "disable", "N3", "--force", "--dry-run", "--url", node.url().toString());

            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).startsWith("Dry run: N3 (worker-3) active → disabled").contains("warning: N3 holds 18 replicas");
            assertThat(node.requests()).extracting(FakeNode.Request::method).containsOnly("POST", "GET");
        }
    }
}
