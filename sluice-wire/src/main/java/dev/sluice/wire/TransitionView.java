package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.Actor;
import dev.sluice.model.WorkerState;

/**
 * An applied worker-state transition as the audit log holds it.
 *
 * @param node the generational id of the incarnation it was decided against ({@code N3:2})
 * @param version the nodes-configuration version the transition produced
 * @param credential the name of the API credential that asked for it, absent when none did (since the scoped
 *     credentials)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TransitionView(String node, String nodeName, WorkerState from, WorkerState to, Actor actor, boolean forced, String reason,
        long version, String requestId, String credential) {

    /** A transition no credential asked for. */
    public TransitionView(String node, String nodeName, WorkerState from, WorkerState to, Actor actor, boolean forced, String reason,
            long version, String requestId) {
        this(node, nodeName, from, to, actor, forced, reason, version, requestId, null);
    }
}
