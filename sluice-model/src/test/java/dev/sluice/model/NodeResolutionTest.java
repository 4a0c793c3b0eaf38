package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Operator references to nodes, in a cluster whose ids do not follow its names: worker-3 registered first
 * (N1), then worker-1 (N2), worker-2 (N3) and worker-4 (N4); worker-1 has restarted once (N2:2), and
 * worker-5 (N5) was removed.
 */
class NodeResolutionTest {

    private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
    private static final NodesConfiguration NODES = cluster();

    private static NodesConfiguration cluster() {
        NodesConfiguration nodes = NodesConfiguration.empty();
        for (String name : List.of("worker-3", "worker-1", "worker-2", "worker-4")) {
            nodes = register(nodes, name, null);
        }
        nodes = register(nodes, "worker-1", 1);
        return new NodesConfiguration(nodes.version(), nodes.nodes(), List.of(new Tombstone(NodeId.of(5), "worker-5", 3, AT)));
    }

    private static NodesConfiguration register(NodesConfiguration nodes, String name, Integer expectedGeneration) {
        ChangeResult result = nodes.apply(new NodesChange.RegisterNode(name, NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"),
                Set.of(Role.WORKER), Location.DEFAULT, expectedGeneration, name + "-" + expectedGeneration, AT));
        return ((ChangeResult.Changed) result).next();
    }

    private static NodeConfig found(NodesConfiguration nodes, String reference) {
        NodeResolution resolution = nodes.resolve(reference);
        assertThat(resolution).as(reference).isInstanceOf(NodeResolution.Found.class);
        return ((NodeResolution.Found) resolution).node();
    }

    private static String malformed(String reference) {
        NodeResolution resolution = NODES.resolve(reference);
        assertThat(resolution).as(reference).isInstanceOf(NodeResolution.Malformed.class);
        return ((NodeResolution.Malformed) resolution).message();
    }

    private static String unknown(String reference) {
        NodeResolution resolution = NODES.resolve(reference);
        assertThat(resolution).as(reference).isInstanceOf(NodeResolution.Unknown.class);
        return ((NodeResolution.Unknown) resolution).message();
    }

    @Test
    void aNameFindsItsNodeInAnyCase() {
        assertThat(found(NODES, "worker-3").nodeId()).isEqualTo(NodeId.of(1));
        assertThat(found(NODES, "Worker-3").nodeId()).isEqualTo(NodeId.of(1));
        assertThat(found(NODES, "WORKER-1").nodeId()).isEqualTo(NodeId.of(2));
    }

    @Test
    void aPlainIdFindsItsNodeInAnyCase() {
        assertThat(found(NODES, "N1").name()).isEqualTo("worker-3");
        assertThat(found(NODES, "n1").name()).isEqualTo("worker-3");
        assertThat(found(NODES, "N2").name()).isEqualTo("worker-1");
    }

    @Test
    void aGenerationalIdFindsOnlyTheCurrentIncarnation() {
        assertThat(found(NODES, "N2:2").name()).isEqualTo("worker-1");
        assertThat(found(NODES, "n1:1").name()).isEqualTo("worker-3");

        NodeResolution old = NODES.resolve("N2:1");
        assertThat(old).isInstanceOf(NodeResolution.Stale.class);
        NodeResolution.Stale stale = (NodeResolution.Stale) old;
        assertThat(stale.requested()).isEqualTo(NodeId.of(2).withGeneration(1));
        assertThat(stale.node().name()).isEqualTo("worker-1");
        assertThat(stale.message()).isEqualTo("N2:1 is no longer current: the node registered again since; N2 (worker-1) is now N2:2."
                + " Look at its state again, then give N2:2 or N2");

        assertThat(((NodeResolution.Stale) NODES.resolve("N2:3")).message()).startsWith("N2:3 is not an incarnation it has had yet;");
        assertThat(malformed("N2:0")).contains("expected a form like N3:7");
        assertThat(malformed("N2:x")).contains("expected a form like N3:7");
    }

    @Test
    void aBareNumberIsRefusedWithTheNodesItCouldMean() {
        assertThat(malformed("1")).isEqualTo("'1' is refused: a bare number could mean an id or the number in a name, and ids follow the"
                + " order in which nodes registered while names do not; did you mean N1 (worker-3) or worker-1 (N2)?");
        assertThat(malformed("3")).contains("did you mean N3 (worker-2) or worker-3 (N1)?");
        assertThat(malformed("2:2")).contains("did you mean N2 (worker-1) or worker-2 (N3)?");
        assertThat(malformed("4")).endsWith("did you mean N4 (worker-4)?");
        assertThat(malformed("77")).contains("give a node name or an id like N77").contains("the nodes are N1 (worker-3), N2 (worker-1)");
    }

    @Test
    void aMisspelledNameGetsTheClosestNameSuggested() {
        assertThat(unknown("wroker-3")).isEqualTo("unknown node 'wroker-3'; did you mean worker-3 (N1)?");
        assertThat(unknown("worker3")).isEqualTo("unknown node 'worker3'; did you mean worker-3 (N1)?");
        assertThat(unknown("database")).isEqualTo("unknown node 'database'; the nodes are N1 (worker-3), N2 (worker-1), N3 (worker-2), N4 (worker-4)");
    }

    @Test
    void unknownAndRemovedIdsSaySo() {
        assertThat(unknown("N9")).isEqualTo("unknown node 'N9': no node has the id N9; the nodes are N1 (worker-3), N2 (worker-1), N3 (worker-2),"
                + " N4 (worker-4)");
        assertThat(unknown("N5")).isEqualTo("unknown node 'N5': N5 (worker-5) was removed");
        assertThat(unknown("N5:3")).isEqualTo("unknown node 'N5:3': N5 (worker-5) was removed");
        assertThat(unknown("worker-5")).isEqualTo("unknown node 'worker-5': worker-5 (N5) was removed");
    }

    @Test
    void emptyOverlongAndCaseAmbiguousReferencesAreRefused() {
        assertThat(malformed("")).contains("no node given");
        assertThat(malformed(" ")).contains("no node given");
        assertThat(malformed("x".repeat(101))).contains("at most 100 characters");
        assertThat(malformed("N99999999999")).contains("too large");

        NodesConfiguration twins = register(register(NodesConfiguration.empty(), "db-a", null), "DB-A", null);
        assertThat(found(twins, "db-a").nodeId()).isEqualTo(NodeId.of(1));
        assertThat(found(twins, "DB-A").nodeId()).isEqualTo(NodeId.of(2));
        NodeResolution ambiguous = twins.resolve("Db-A");
        assertThat(ambiguous).isInstanceOf(NodeResolution.Malformed.class);
        assertThat(((NodeResolution.Malformed) ambiguous).message()).isEqualTo(
                "'Db-A' is ambiguous: the names db-a (N1), DB-A (N2) differ only in case; give the exact name or the id");
    }

    @Test
    void labelsNameTheNodeBesideItsId() {
        assertThat(NODES.label(NodeId.of(1))).isEqualTo("N1 (worker-3)");
        assertThat(NODES.label(NodeId.of(5))).isEqualTo("N5 (worker-5)");
        assertThat(NODES.label(NodeId.of(9))).isEqualTo("N9");
        assertThat(NodeResolution.label(found(NODES, "N4"))).isEqualTo("N4 (worker-4)");
    }

    @Test
    void suggestionsListAtMostALimitedNumberOfNodes() {
        NodesConfiguration many = NodesConfiguration.empty();
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            names.add("host-" + (char) ('a' + i - 1) + "x");
        }
        for (String name : names) {
            many = register(many, name, null);
        }
        NodeResolution unknown = many.resolve("database");
        assertThat(((NodeResolution.Unknown) unknown).message()).endsWith("N8 (host-hx) and 4 more");
    }
}
