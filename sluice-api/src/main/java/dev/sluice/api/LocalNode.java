package dev.sluice.api;

import dev.sluice.model.GenerationalNodeId;
import dev.sluice.wire.ShutdownStatus;
import java.util.Objects;
import java.util.Optional;

/**
 * The node process an admin API runs in, for the one thing the API cannot do through the metadata store: shut the
 * process down. Every other change is a compare-and-set any node can make; a graceful shutdown can only be carried
 * out by the process that stops, so a request naming another node is forwarded to that node.
 */
public interface LocalNode {

    /** This process's incarnation, empty before it registered. */
    Optional<GenerationalNodeId> self();

    /**
     * Begins this process's graceful shutdown unless one is under way, and returns at once: the handover of
     * leaderships and the close run on a thread of the node's own, and the process exits when they end.
     *
     * @param cause what asked for it, in words, for the worker's status and log
     */
    ShutdownBegun shutDown(String cause);

    /**
     * The catch-up transfer rate this process was started with ({@code sluice server --max-transfer-rate}), which its
     * worker uses while no operator stored one; {@code 0} for no limit.
     */
    default long transferRateFlag() {
        return 0;
    }

    /**
     * What {@link #shutDown} did.
     *
     * @param started whether this call began the shutdown; {@code false} when one was under way
     * @param shutdown the shutdown under way: this call's, or the earlier one's
     * @param leaderships how many partitions the node leads as it begins to hand them over
     */
    record ShutdownBegun(boolean started, ShutdownStatus shutdown, int leaderships) {
        public ShutdownBegun {
            Objects.requireNonNull(shutdown, "shutdown");
        }
    }

    /** The API of no node process (a test's): no node is this one, so every shutdown request is forwarded. */
    LocalNode NONE = new LocalNode() {
        @Override
        public Optional<GenerationalNodeId> self() {
            return Optional.empty();
        }

        @Override
        public ShutdownBegun shutDown(String cause) {
            throw new IllegalStateException("BUG: an admin API without a node process was asked to shut itself down");
        }
    };
}
