package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * The answer to a removal ({@code DELETE /api/v1/nodes/{node}}): the node is gone from the nodes configuration, and its
 * tombstone keeps its id from being used again. Its name registers again as a new node, with a new id.
 *
 * @param id the removed node's plain id ({@code N4}), reserved for good
 * @param lastGeneration the generation it last ran as
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeRemovedView(String id, String name, int lastGeneration, Instant removedAt) {

    /** How every operator surface names a node: {@code N4 (worker-4)}. */
    public String label() {
        return id + " (" + name + ")";
    }
}
