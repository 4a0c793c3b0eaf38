package dev.sluice.model;

/**
 * What a node reference an operator typed (a CLI argument, an API path segment, a dashboard action) names
 * in one nodes configuration, from {@link NodesConfiguration#resolve(String)}: the one rule for operator
 * input about nodes, which the API — and through it the CLI and the dashboard — uses and nothing else.
 *
 * <p>A reference is one of:
 *
 * <ul>
 *   <li>a node name, matched exactly or else ignoring case ({@code Worker-3} is {@code worker-3}, unless
 *       two names differ only in case);
 *   <li>a plain id, {@code N3} in any case;
 *   <li>a generational id, {@code N3:7}, which names that incarnation only: once the node registered
 *       again it is {@link Stale}, so a command decided against an old view is not applied to the new one.
 * </ul>
 *
 * <p>A bare number ({@code 3}) is refused: ids follow registration order while names follow whatever the
 * operator chose, so {@code 3} could as well mean {@code N3} as {@code worker-3}, which may be another node.
 * Names cannot look like ids ({@link NodeConfig#requireValidName}), so the forms never overlap.
 */
public sealed interface NodeResolution {

    /** The reference names this node (in its current incarnation). */
    record Found(NodeConfig node) implements NodeResolution {}

    /** The reference is not a form that can name a node, or names more than one (HTTP 400). */
    record Malformed(String reference, String message) implements NodeResolution {}

    /** No live node answers to the reference (HTTP 404); the message says why and what is close. */
    record Unknown(String reference, String message) implements NodeResolution {}

    /** A generational id of an incarnation that is no longer (or not yet) the node's current one. */
    record Stale(GenerationalNodeId requested, NodeConfig node, String message) implements NodeResolution {}

    /** {@code node} as every operator surface prints it: {@code N1 (worker-3)}. */
    static String label(NodeConfig node) {
        return node.nodeId() + " (" + node.name() + ")";
    }
}
