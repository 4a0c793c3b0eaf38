package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Each placement change applied to the placements it fits, and refused (as a bug) on those it does not. */
class PlacementChangeTest {

    private static final PartitionId P = PartitionId.of(3);
    private static final NodeId N1 = NodeId.of(1);
    private static final NodeId N2 = NodeId.of(2);
    private static final NodeId N3 = NodeId.of(3);
    private static final NodeId N4 = NodeId.of(4);
    private static final NodeId N5 = NodeId.of(5);
    private static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");
    private static final Placement STABLE = Placement.stable(P, List.of(N1, N2, N3), N1, Version.of(4));

    @Test
    void aFirstReplicaSetNeedsNoPlacementBefore() {
        PlacementChange.Applied applied = new PlacementChange.Initial(P, List.of(N1, N2, N3), N2, Version.of(2)).apply(Optional.empty(), T0);
        assertThat(applied.placement()).isEqualTo(Placement.stable(P, List.of(N1, N2, N3), N2, Version.of(2)));
        assertThat(applied.event()).isEmpty();
        assertThatThrownBy(() -> new PlacementChange.Initial(P, List.of(N1), N1, Version.of(2)).apply(Optional.of(STABLE), T0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already has a placement");
    }

    @Test
    void startingAMoveWritesNextAndSaysWhoLeavesAndJoins() {
        PlacementChange.Applied applied = new PlacementChange.StartMove(P, List.of(N2, N3, N4), Version.of(5), "drain").apply(Optional.of(STABLE), T0);
        assertThat(applied.placement().next()).containsExactly(N2, N3, N4);
        assertThat(applied.placement().changeStartedAt()).isEqualTo(T0);
        assertThat(applied.event()).hasValueSatisfying(event -> {
            assertThat(event.kind()).isEqualTo(EventKind.PARTITION_MOVE_STARTED);
            assertThat(event.node()).isEqualTo(N1);
            assertThat(event.message()).isEqualTo("P3 drain: [N1, N2, N3] → [N2, N3, N4] ([N1] leave, [N4] join)");
        });
        assertThatThrownBy(() -> new PlacementChange.StartMove(P, List.of(N2, N3, N5), Version.of(5), "drain").apply(Optional.of(applied.placement()), T0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("revise");
    }

    @Test
    void aRevisionKeepsTheMovesStartTime() {
        Placement moving = STABLE.withNext(List.of(N2, N3, N4), Version.of(5), T0);
        PlacementChange.Applied revised = new PlacementChange.ReviseMove(P, List.of(N2, N3, N5), Version.of(6)).apply(Optional.of(moving), T0.plusSeconds(9));
        assertThat(revised.placement().next()).containsExactly(N2, N3, N5);
        assertThat(revised.placement().changeStartedAt()).isEqualTo(T0);
        assertThat(revised.event().orElseThrow().message()).startsWith("P3 revised:");
        assertThatThrownBy(() -> new PlacementChange.ReviseMove(P, List.of(N2), Version.of(6)).apply(Optional.of(STABLE), T0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no move under way");
    }

    @Test
    void completingNeedsTheConfirmedConfigurationToBeNextAndKeepsAStayingLeader() {
        Placement moving = STABLE.withNext(List.of(N2, N3, N4), Version.of(5), T0);
        PlacementChange.Applied done = new PlacementChange.CompleteMove(P, List.of(N4, N3, N2), N3).apply(Optional.of(moving), T0.plusMillis(1500));
        assertThat(done.placement()).isEqualTo(Placement.stable(P, List.of(N2, N3, N4), N3, Version.of(5)));
        assertThat(done.event().orElseThrow().numbers()).containsEntry("durationMillis", 1500L);
        // No leader known (the group is electing): completes with none recorded, instead of throwing (List.of's contains(null) does).
        assertThat(new PlacementChange.CompleteMove(P, List.of(N2, N3, N4), null).apply(Optional.of(moving), T0).placement().leader()).isNull();
        // A leader that leaves is not recorded.
        assertThat(new PlacementChange.CompleteMove(P, List.of(N2, N3, N4), N1).apply(Optional.of(moving), T0).placement().leader()).isNull();
        assertThatThrownBy(() -> new PlacementChange.CompleteMove(P, List.of(N1, N2, N3), N2).apply(Optional.of(moving), T0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("confirmed configuration");
        assertThatThrownBy(() -> new PlacementChange.CompleteMove(P, List.of(N1, N2, N3), N2).apply(Optional.of(STABLE), T0))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aRecordedLeaderMustBeNamedByThePlacement() {
        assertThat(new PlacementChange.RecordLeader(P, N3).apply(Optional.of(STABLE), T0).placement().leader()).isEqualTo(N3);
        assertThatThrownBy(() -> new PlacementChange.RecordLeader(P, N5).apply(Optional.of(STABLE), T0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aPolicyChangeIsStoredWithAnEventThatSaysWhatChangedWhoAskedAndWhy() {
        PlacementChange.Applied frozen = new PlacementChange.SetPolicy(P, new PartitionPolicy(true, null), Actor.OPERATOR, "slow follower",
                CredentialName.of("oncall"), null).apply(Optional.of(STABLE), T0);
        assertThat(frozen.placement()).isEqualTo(STABLE.withPolicy(new PartitionPolicy(true, null)));
        assertThat(frozen.event()).hasValueSatisfying(event -> {
            assertThat(event.kind()).isEqualTo(EventKind.PARTITION_POLICY_CHANGED);
            assertThat(event.partition()).isEqualTo(P);
            assertThat(event.message()).isEqualTo("P3 frozen: its replica set changes no more until it is unfrozen by operator with credential oncall: slow follower");
        });

        PlacementChange.Applied pinned = new PlacementChange.SetPolicy(P, new PartitionPolicy(false, N2), Actor.OPERATOR, "", null, "N2 (worker-2)")
                .apply(Optional.of(frozen.placement()), T0);
        assertThat(pinned.placement().policy()).isEqualTo(new PartitionPolicy(false, N2));
        assertThat(pinned.event().orElseThrow().message()).isEqualTo("P3 unfrozen, leader pinned to N2 (worker-2) by operator");
        assertThat(pinned.event().orElseThrow().node()).isEqualTo(N2);
    }

    @Test
    void aPolicyChangeThatChangesNothingOrPinsANonMemberIsABug() {
        assertThatThrownBy(() -> new PlacementChange.SetPolicy(P, PartitionPolicy.DEFAULT, Actor.OPERATOR, "", null, null).apply(Optional.of(STABLE), T0))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already has the policy");
        assertThatThrownBy(() -> new PlacementChange.SetPolicy(P, new PartitionPolicy(false, N5), Actor.OPERATOR, "", null, null)
                .apply(Optional.of(STABLE), T0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("not in [N1, N2, N3]");
    }
}
