package dev.sluice.raft;

import dev.sluice.model.NodeId;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
import org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException;
import org.apache.ratis.protocol.exceptions.ServerNotReadyException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.protocol.exceptions.TransferLeadershipException;
import org.apache.ratis.thirdparty.io.grpc.StatusRuntimeException;

/** The one place where Ratis's exception types become {@link MoveFailure} values. */
public final class RatisFailures {

    private RatisFailures() {}

    /**
     * Classifies what a Raft admin call threw or replied with.
     *
     * @param asked the member the call went to (the leader, for transfers and configuration changes)
     * @param operation what was asked, for a timeout's message
     * @param deadline the call's deadline, for a timeout's message
     */
    public static MoveFailure classify(Throwable failure, NodeId asked, String operation, Duration deadline) {
        Throwable cause = unwrap(failure);
        return switch (cause) {
            case ReplicaSetAdminException admin -> admin.failure();
            case GroupMismatchException mismatch -> new MoveFailure.MemberNotHosting(asked);
            case NotLeaderException notLeader -> new MoveFailure.NotLeader(asked, suggested(notLeader.getSuggestedLeader()));
            case LeaderNotReadyException notReady -> new MoveFailure.LeaderNotReady(asked, message(notReady));
            case LeaderSteppingDownException steppingDown -> new MoveFailure.LeaderNotReady(asked, message(steppingDown));
            case ServerNotReadyException notReady -> new MoveFailure.LeaderNotReady(asked, message(notReady));
            case ReconfigurationInProgressException inProgress -> new MoveFailure.ReconfigurationInProgress(asked);
            case ReconfigurationTimeoutException timedOut -> new MoveFailure.Timeout(operation, deadline);
            case TimeoutIOException timedOut -> new MoveFailure.Timeout(operation, deadline);
            case TimeoutException timedOut -> new MoveFailure.Timeout(operation, deadline);
            case InterruptedIOException timedOut -> new MoveFailure.Timeout(operation, deadline);
            case TransferLeadershipException transfer -> transfer(asked, transfer, operation, deadline);
            case AlreadyClosedException closed -> new MoveFailure.Unreachable(asked, message(closed));
            case ConnectException refused -> new MoveFailure.Unreachable(asked, message(refused));
            case StatusRuntimeException grpc -> new MoveFailure.Unreachable(asked, message(grpc));
            case IOException io when io.getCause() instanceof StatusRuntimeException grpc -> new MoveFailure.Unreachable(asked, message(grpc));
            default -> new MoveFailure.Unexpected(cause.getClass().getSimpleName() + ": " + cause.getMessage());
        };
    }

    /**
     * A refused transfer: Ratis says "timed out" when the target did not win its election in time, which
     * is what a target that cannot take over looks like, and refuses any transfer to a named member while a
     * configuration change is in progress (staging included), and says {@code DIFFERENT_LEADER} when the
     * election it started chose another member; a transfer that failed before it started stays pending on
     * the leader ({@link #leavesTransferPending}); everything else it reports is unexpected.
     */
    private static MoveFailure transfer(NodeId asked, TransferLeadershipException transfer, String operation, Duration deadline) {
        String text = String.valueOf(transfer.getMessage());
        if (leftPending(text)) {
            return new MoveFailure.TransferLeftPending(asked, text);
        }
        if (text.contains("a previous") && text.contains("exists")) {
            return new MoveFailure.TransferPending(asked, text);
        }
        if (text.contains("reconfiguration in progress")) {
            return new MoveFailure.ReconfigurationInProgress(asked);
        }
        if (text.contains("DIFFERENT_LEADER")) {
            return new MoveFailure.AnotherLeaderElected(asked, text);
        }
        if (text.contains("timed out") || text.contains("timeout")) {
            return new MoveFailure.Timeout(operation, deadline);
        }
        return new MoveFailure.Unexpected("TransferLeadershipException from " + asked + ": " + text);
    }

    /**
     * Whether a failed transfer's reply says Ratis left the transfer pending on the leader: Ratis 3.x
     * ({@code TransferLeadership.start}) completes a transfer that fails before it starts — its
     * start-election request already failed ({@code COMPLETED_EXCEPTIONALLY}), or the leader has no follower
     * or log appender for the target ({@code NULL_FOLLOWER}, {@code NULL_LOG_APPENDER}) — without clearing it,
     * and clears a pending transfer only on its timeout (scheduled only for transfers it started) or an
     * election. The leader then refuses writes and other transfers until it stops leading.
     */
    public static boolean leavesTransferPending(Throwable failure) {
        return failure != null && unwrap(failure) instanceof TransferLeadershipException transfer && leftPending(String.valueOf(transfer.getMessage()));
    }

    private static boolean leftPending(String text) {
        return text.contains("COMPLETED_EXCEPTIONALLY") || text.contains("NULL_LOG_APPENDER") || text.contains("NULL_FOLLOWER");
    }

    private static NodeId suggested(RaftPeer peer) {
        if (peer == null) {
            return null;
        }
        try {
            return PartitionGroups.nodeId(peer.getId());
        } catch (IllegalArgumentException notOurs) {
            return null;
        }
    }

    private static String message(Throwable failure) {
        return failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
