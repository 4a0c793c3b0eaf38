package dev.sluice.cli;

import dev.sluice.model.NodeId;
import dev.sluice.wire.NodeView;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How the CLI prints a node: {@code N1 (worker-3)}, never a bare id, because ids follow registration order
 * and names are what operators know. Built from one read of the node list; an id that list does not have
 * prints bare.
 */
final class NodeLabels {

    private final Map<String, String> byId;

    private NodeLabels(Map<String, String> byId) {
        this.byId = Map.copyOf(byId);
    }

    static NodeLabels fetch(AdminClient client) {
        return from(client.getOkList("/api/v1/nodes", NodeView.class));
    }

    /** From a node list as {@code GET /api/v1/nodes} answers it. */
    static NodeLabels from(List<NodeView> nodes) {
        Map<String, String> byId = new HashMap<>();
        nodes.forEach(node -> byId.put(node.id(), node.label()));
        return new NodeLabels(byId);
    }

    /** {@code id}'s label, or {@code -} when it is absent. */
    String of(String id) {
        return id == null ? "-" : byId.getOrDefault(id, id);
    }

    String of(NodeId id) {
        return of(id == null ? null : id.toString());
    }

    /** The labels of a list of ids, comma-separated, or {@code -} when it is empty. */
    String list(List<String> ids) {
        return ids.isEmpty() ? "-" : String.join(", ", ids.stream().map(this::of).toList());
    }
}
