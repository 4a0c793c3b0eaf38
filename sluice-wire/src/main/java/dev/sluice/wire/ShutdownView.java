package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Objects;

/**
 * The answer to {@code POST /api/v1/nodes/{node}/shutdown} ({@code 202}): the node's graceful shutdown has begun,
 * or was already under way, and what will happen. Written by the node that shuts down; a node that forwarded the
 * request relays it unchanged.
 *
 * @param node the incarnation that shuts down ({@code N3:7}); the one a supervisor starts next has a newer one
 * @param label the node as every operator surface prints it ({@code N3 (worker-3)})
 * @param started {@code true} when this request began the shutdown, {@code false} when one was already under way
 *     (then {@code shutdown} is that one's)
 * @param shutdown its cause, start and the deadline of its handover
 * @param leaderships how many partitions the node led when the answer was written: the leaderships it hands over
 * @param message what happens, in words
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ShutdownView(String node, String label, boolean started, ShutdownStatus shutdown, int leaderships, String message) {

    public ShutdownView {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(shutdown, "shutdown");
        Objects.requireNonNull(message, "message");
    }
}
