package dev.sluice.raft;

import dev.sluice.model.NodeId;
import dev.sluice.model.WireNames;
import java.time.Duration;
import java.util.List;

/**
 * Why one Raft admin call of a partition move did not succeed, as a value the controller decides on:
 * whether to wait, retry, go back a step or escalate. Ratis reports these as a dozen exception types and
 * reply fields; {@link RatisFailures} maps them here once, so no caller ever classifies a failure by its
 * text.
 */
public sealed interface MoveFailure {

    /** The kind, for counting, metrics and the wire. */
    Kind kind();

    /** What happened, for operators: one line, with the node and numbers involved. */
    String detail();

    /** The failure kinds; {@link #wireName()} is what status documents carry. */
    enum Kind {
        MEMBER_NOT_HOSTING,
        NO_LEADER,
        NOT_LEADER,
        LEADER_NOT_READY,
        LEADER_LEAVING,
        RECONFIGURATION_IN_PROGRESS,
        TARGET_NOT_VOTER,
        ANOTHER_LEADER_ELECTED,
        TRANSFER_PENDING,
        TRANSFER_LEFT_PENDING,
        STALE_FOLLOWER,
        TIMEOUT,
        UNREACHABLE,
        UNEXPECTED;

        public String wireName() {
            return WireNames.of(this);
        }
    }

    /** A member the change adds has no division for the group (Ratis would hang the change). */
    record MemberNotHosting(NodeId member) implements MoveFailure {
        public Kind kind() {
            return Kind.MEMBER_NOT_HOSTING;
        }

        public String detail() {
            return member + " does not host the group (or did not answer)";
        }
    }

    /** No member reports itself leader: the group is electing, or has lost its majority. */
    record NoLeader(List<NodeId> asked) implements MoveFailure {
        public NoLeader {
            asked = List.copyOf(asked);
        }

        public Kind kind() {
            return Kind.NO_LEADER;
        }

        public String detail() {
            return "no member of " + asked + " reports itself leader";
        }
    }

    /** The member asked is not (or no longer) the leader; {@code suggested} may be null. */
    record NotLeader(NodeId asked, NodeId suggested) implements MoveFailure {
        public Kind kind() {
            return Kind.NOT_LEADER;
        }

        public String detail() {
            return asked + " is not the leader" + (suggested == null ? "" : "; it suggests " + suggested);
        }
    }

    /** The leader was elected but has not committed an entry of its term yet, or is stepping down. */
    record LeaderNotReady(NodeId leader, String ratisMessage) implements MoveFailure {
        public Kind kind() {
            return Kind.LEADER_NOT_READY;
        }

        public String detail() {
            return "the leader " + leader + " is not ready: " + ratisMessage;
        }
    }

    /**
     * The change would remove the member that leads: refused before it is sent. A Ratis leader that commits
     * a configuration without itself closes its own division under the server's lock, and that close was
     * seen waiting for good on the division's executor — the division, and the worker's later removal of it,
     * then hung until the process restarted. Leadership must move to a member that stays first.
     */
    record LeaderLeaving(NodeId leader, List<NodeId> configuration) implements MoveFailure {
        public LeaderLeaving {
            configuration = List.copyOf(configuration);
        }

        public Kind kind() {
            return Kind.LEADER_LEAVING;
        }

        public String detail() {
            return "the leader " + leader + " is not in " + configuration + "; leadership must move to a member that stays first";
        }
    }

    /** Another configuration change of the group is still being committed (often our own earlier one). */
    record ReconfigurationInProgress(NodeId leader) implements MoveFailure {
        public Kind kind() {
            return Kind.RECONFIGURATION_IN_PROGRESS;
        }

        public String detail() {
            return "a configuration change is still in progress on " + leader;
        }
    }

    /** A leadership transfer was asked for a node that is not a voting member of the group. */
    record TargetNotVoter(NodeId target, List<NodeId> configuration) implements MoveFailure {
        public TargetNotVoter {
            configuration = List.copyOf(configuration);
        }

        public Kind kind() {
            return Kind.TARGET_NOT_VOTER;
        }

        public String detail() {
            return target + " is not a voting member of " + configuration;
        }
    }

    /**
     * A leadership transfer ended with an election that another member won (Ratis: {@code DIFFERENT_LEADER}),
     * often the old leader again. Elections are like that; the controller retries, towards another target.
     */
    record AnotherLeaderElected(NodeId asked, String ratisMessage) implements MoveFailure {
        public Kind kind() {
            return Kind.ANOTHER_LEADER_ELECTED;
        }

        public String detail() {
            return "the transfer from " + asked + " ended with another leader elected than asked: " + ratisMessage;
        }
    }

    /**
     * The leader refused a transfer because another one is pending on it (Ratis: "a previous
     * TransferLeadershipRequest … exists"): usually a transfer someone else asked for a moment ago — a worker
     * handing its leaderships over, a previous controller leader — which ends within its own timeout. One that
     * outlasts every transfer's timeout was left pending for good (see {@link TransferLeftPending}).
     */
    record TransferPending(NodeId leader, String ratisMessage) implements MoveFailure {
        public Kind kind() {
            return Kind.TRANSFER_PENDING;
        }

        public String detail() {
            return "another leadership transfer is pending on the leader " + leader + ": " + ratisMessage;
        }
    }

    /**
     * A transfer that Ratis failed at once (its start-election request to the target failed before the leader
     * looked — a target that just died refuses the connection in microseconds — or the leader had no log
     * appender for it) and left pending: Ratis clears a pending transfer only when it times out or a leader is
     * elected, and schedules the timeout only for transfers it did start. Until leadership changes, that leader
     * refuses every write ("stepping down"), every configuration change, and every transfer to another member;
     * the one way out is to make it step down.
     */
    record TransferLeftPending(NodeId leader, String ratisMessage) implements MoveFailure {
        public Kind kind() {
            return Kind.TRANSFER_LEFT_PENDING;
        }

        public String detail() {
            return "a leadership transfer failed at once and Ratis left it pending on " + leader
                    + ", which refuses writes and transfers until it stops leading: " + ratisMessage;
        }
    }

    /**
     * The leader still replicates to {@code member}, which its configuration no longer has, so a change adding
     * {@code member} back was not sent. Ratis 3.3.0 leaves such a log appender when a leader is elected on a joint
     * configuration: it builds appenders for the old and the new members, then commits the new half as its first
     * entry of the term without stopping the appenders of the members that left. Asked to add one of them back, it
     * fails ("Found duplicated element") after registering the change as pending, and refuses every later change
     * until it stops leading. The way out is to make it step down: a leader elected on a stable configuration
     * replicates to its members only.
     */
    record StaleFollower(NodeId leader, NodeId member) implements MoveFailure {
        public Kind kind() {
            return Kind.STALE_FOLLOWER;
        }

        public String detail() {
            return "the leader " + leader + " still replicates to " + member + ", which left its configuration"
                    + " (a Ratis leftover from the joint configuration it took over); adding " + member
                    + " back under it would wedge its configuration changes until it stops leading";
        }
    }

    /** The call did not finish within its deadline. */
    record Timeout(String operation, Duration deadline) implements MoveFailure {
        public Kind kind() {
            return Kind.TIMEOUT;
        }

        public String detail() {
            return operation + " did not finish within " + deadline.toMillis() + " ms";
        }
    }

    /** A node could not be reached (connection refused, reset, closed). */
    record Unreachable(NodeId node, String ratisMessage) implements MoveFailure {
        public Kind kind() {
            return Kind.UNREACHABLE;
        }

        public String detail() {
            return node + " is unreachable: " + ratisMessage;
        }
    }

    /** Anything else: a bug, or a Ratis failure nobody has classified yet. Always reported. */
    record Unexpected(String description) implements MoveFailure {
        public Kind kind() {
            return Kind.UNEXPECTED;
        }

        public String detail() {
            return description;
        }
    }
}
