package dev.sluice.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.worker.LeadershipHandover.Choice;
import dev.sluice.worker.PeerReadiness.Candidacy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The handover's choice of a target, and its report; the transfers themselves run on real servers in the testkit's GracefulShutdownTest. */
class LeadershipHandoverTest {

    static final NodeId N2 = NodeId.of(2);
    static final NodeId N3 = NodeId.of(3);
    static final NodeId N4 = NodeId.of(4);
    static final Candidacy READY = PeerReadiness.READY;

    /** The worked example of the class comment. */
    @Test
    void theWorkedExample() {
        Candidacy stopping = new Candidacy.Unfit("is not ready: shutting down (SIGTERM): …");
        Map<NodeId, Candidacy> asked = Map.of(N2, READY, N3, stopping, N4, READY);

        assertThat(LeadershipHandover.choose(List.of(N2, N3), Map.of(), asked, 1)).as("P0").isEqualTo(new Choice.To(N2));
        assertThat(LeadershipHandover.choose(List.of(N3, N4), Map.of(), asked, 1)).as("P4").isEqualTo(new Choice.To(N4));
        assertThat(LeadershipHandover.choose(List.of(N3, N4), Map.of(), asked, 2)).as("P4, second attempt").isEqualTo(new Choice.To(N4));
        assertThat(LeadershipHandover.choose(List.of(N3, N4), Map.of(), Map.of(N3, stopping, N4, new Candidacy.Unfit("is not ready: …")), 1))
                .isEqualTo(new Choice.Nobody("no other member may lead it: N3 is not ready: shutting down (SIGTERM): …; N4 is not ready: …"));
    }

    @Test
    void theMostCaughtUpFitMemberFirstThenTheNextOnEachRetry() {
        Map<NodeId, Candidacy> everyoneReady = Map.of(N2, READY, N3, READY, N4, READY);
        Map<NodeId, Long> commits = Map.of(N2, 40L, N3, 42L, N4, 42L);

        assertThat(LeadershipHandover.choose(List.of(N2, N3, N4), commits, everyoneReady, 1)).isEqualTo(new Choice.To(N3));
        assertThat(LeadershipHandover.choose(List.of(N2, N3, N4), commits, everyoneReady, 2)).isEqualTo(new Choice.To(N4));
        assertThat(LeadershipHandover.choose(List.of(N2, N3, N4), commits, everyoneReady, 3)).isEqualTo(new Choice.To(N2));
        assertThat(LeadershipHandover.choose(List.of(N2, N3, N4), commits, everyoneReady, 4)).as("round again").isEqualTo(new Choice.To(N3));
    }

    @Test
    void aMemberThatIsNotReadyOrWasNotAskedIsNeverChosen() {
        Map<NodeId, Candidacy> candidacies = Map.of(N2, new Candidacy.Unfit("is not ready: shutting down (SIGTERM)"), N3, READY);

        assertThat(LeadershipHandover.choose(List.of(N2, N3, N4), Map.of(N2, 99L, N3, 1L, N4, 99L), candidacies, 1)).isEqualTo(new Choice.To(N3));
        assertThat(LeadershipHandover.choose(List.of(N2, N3, N4), Map.of(), candidacies, 2)).isEqualTo(new Choice.To(N3));
    }

    @Test
    void withNoFitMemberTheChoiceSaysWhyForEach() {
        Map<NodeId, Candidacy> candidacies = Map.of(N3, new Candidacy.Unfit("is draining"), N2, new Candidacy.Unfit("is not ready: shutting down (SIGTERM)"));

        assertThat(LeadershipHandover.choose(List.of(N3, N2, N4), Map.of(), candidacies, 1)).isEqualTo(new Choice.Nobody(
                "no other member may lead it: N2 is not ready: shutting down (SIGTERM); N3 is draining; N4 was not asked"));
        assertThat(LeadershipHandover.choose(List.of(), Map.of(), Map.of(), 1)).isEqualTo(new Choice.Nobody("it has no other voter"));
        assertThatThrownBy(() -> LeadershipHandover.choose(List.of(N2), Map.of(), Map.of(), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theReportAccountsForEveryPartitionLedOnceAndSaysItInOneLine() {
        PartitionId p0 = PartitionId.of(0);
        PartitionId p3 = PartitionId.of(3);
        PartitionId p7 = PartitionId.of(7);
        HandoverReport report = new HandoverReport(Set.of(p7, p0, p3), Set.of(p0, p7), Map.of(p3, "no other member may lead it: N2 is draining"),
                Duration.ofMillis(412));

        assertThat(report.complete()).isFalse();
        assertThat(report.summary()).isEqualTo("led 3, moved 2 in 412 ms, 1 not moved (P3: no other member may lead it: N2 is draining)");
        assertThat(new HandoverReport(Set.of(p0), Set.of(p0), Map.of(), Duration.ofMillis(87)).summary()).isEqualTo("led 1, moved 1 in 87 ms, 0 not moved");
        assertThat(new HandoverReport(Set.of(p0, p3, p7), Set.of(), Map.of(p7, "no other member may lead it: N2 is draining", p3, "it has no other voter",
                p0, "no other member may lead it: N2 is draining"), Duration.ofMillis(5)).summary())
                .as("partitions with the same reason together").isEqualTo("led 3, moved 0 in 5 ms, 3 not moved (P0, P7: no other member may lead it: N2 is "
                        + "draining; P3: it has no other voter)");
        assertThatThrownBy(() -> new HandoverReport(Set.of(p0, p3), Set.of(p0), Map.of(), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("every partition led must be moved or not moved");
        assertThatThrownBy(() -> new HandoverReport(Set.of(p0), Set.of(p0), Map.of(p0, "twice"), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
