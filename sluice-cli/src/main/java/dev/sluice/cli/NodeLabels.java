package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
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
        return from(client.getOk("/api/v1/nodes"));
    }

    /** From a node list as {@code GET /api/v1/nodes} answers it. */
    static NodeLabels from(JsonNode nodes) {
        Map<String, String> byId = new HashMap<>();
        nodes.forEach(node -> byId.put(node.path("id").asText(), label(node)));
        return new NodeLabels(byId);
    }

    /** A node view's own label. */
    static String label(JsonNode node) {
        return node.path("id").asText() + " (" + node.path("name").asText() + ")";
    }

    /** {@code value}'s label, or {@code -} when it is absent. */
    String of(JsonNode value) {
        return value.isMissingNode() || value.isNull() ? "-" : of(value.asText());
    }

    String of(String id) {
        return byId.getOrDefault(id, id);
    }

    /** The labels of an array of ids, comma-separated, or {@code -} when it is empty. */
    String list(JsonNode ids) {
        List<String> labels = new ArrayList<>();
        ids.forEach(id -> labels.add(of(id)));
        return labels.isEmpty() ? "-" : String.join(", ", labels);
    }
}
