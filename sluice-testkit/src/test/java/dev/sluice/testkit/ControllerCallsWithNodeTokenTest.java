package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.Credential;
import dev.sluice.api.CredentialSource;
import dev.sluice.api.Credentials;
import dev.sluice.api.TokenHash;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.controller.RatisDataPlane;
import dev.sluice.model.CredentialName;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.Scope;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * The controller's own calls to workers — status polls and the shutdown a rolling restart asks for — go with the
 * node's token, and a worker that checks credentials takes them only with the scope each needs: read for the
 * status, operate for the shutdown.
 */
class ControllerCallsWithNodeTokenTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String NODE = TokenHash.newToken(RANDOM);
    private static final String GRAFANA = TokenHash.newToken(RANDOM);

    @Test
    void statusNeedsReadAndAShutdownNeedsOperate() throws Exception {
        Credentials credentials = Credentials.of(List.of(
                new Credential(CredentialName.of("node"), EnumSet.of(Scope.OPERATE), TokenHash.of(NODE, RANDOM)),
                new Credential(CredentialName.of("grafana"), EnumSet.of(Scope.READ), TokenHash.of(GRAFANA, RANDOM))));
        try (LocalTestCluster cluster = LocalTestCluster.builder().workers(3).partitions(3).replication(3).sessionTimeout(Duration.ofSeconds(6))
                .controlPlane(ControllerConfig.DEFAULTS, CredentialSource.fixed(credentials), NODE, NODE).start()) {
            // The controller places the partitions, after the start returned: until it has, every placed partition is
            // led because none is, and the target's status lists no replica (this failed once under load on 2026-11-29).
            await("the controller placed every partition").atMost(Duration.ofMinutes(1))
                    .until(() -> cluster.metadata().placements().readAll().size() == 3);
            cluster.awaitLeaders(Duration.ofMinutes(1));
            TestNode target = cluster.node(2);
            NodeConfig worker = cluster.metadata().nodes().current().find(target.nodeId()).orElseThrow();
            var process = target.process();

            String name = cluster.clusterName();
            try (RatisDataPlane anonymous = plane(name, Optional.empty()); RatisDataPlane reader = plane(name, Optional.of(GRAFANA));
                    RatisDataPlane node = plane(name, Optional.of(NODE))) {
                assertThatThrownBy(() -> anonymous.replicas(worker).join()).isInstanceOf(CompletionException.class)
                        .hasMessageContaining("answered its status with HTTP 401");
                assertThat(reader.replicas(worker).join().replicas()).isNotEmpty();
                assertThatThrownBy(() -> reader.shutDown(worker).join()).isInstanceOf(CompletionException.class)
                        .hasMessageContaining("refused to shut down: HTTP 403").hasMessageContaining("credential grafana (scopes: read)")
                        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(GRAFANA));
                assertThat(process.shutDown()).as("a refused shutdown changes nothing").isNotDone();

                node.shutDown(worker).join();
                await("the worker shut down at the node token's request").atMost(Duration.ofMinutes(1)).until(() -> process.shutDown().isDone());
            }
        }
    }

    private static RatisDataPlane plane(String cluster, Optional<String> token) {
        return new RatisDataPlane(cluster, 2, InstantSource.system(), token);
    }
}
