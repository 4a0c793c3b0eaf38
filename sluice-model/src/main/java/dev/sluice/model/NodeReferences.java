package dev.sluice.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The rule {@link NodeResolution} documents: how a typed reference finds its node, and what to say when it does not. */
final class NodeReferences {

    /** Longest reference looked at; names are at most 63 characters, so anything longer is a mistake. */
    static final int MAX_REFERENCE_CHARS = 100;
    /** How many nodes a message lists at most, so a large cluster's answer stays one readable line. */
    static final int MAX_LISTED = 8;

    private static final Pattern GENERATIONAL = Pattern.compile("[Nn]([0-9]+):([0-9]+)");
    private static final Pattern PLAIN_ID = Pattern.compile("[Nn]([0-9]+)");
    private static final Pattern BARE_NUMBER = Pattern.compile("[0-9]+(:[0-9]*)?");
    private static final Pattern TRAILING_NUMBER = Pattern.compile("([0-9]+)$");

    private NodeReferences() {}

    /**
     * Resolves {@code reference} against {@code nodes}.
     */
    static NodeResolution resolve(NodesConfiguration nodes, String reference) {
        Objects.requireNonNull(nodes, "nodes");
        if (reference == null || reference.isBlank()) {
            return new NodeResolution.Malformed("", "no node given: give a node name or an id like N3");
        }
        if (reference.length() > MAX_REFERENCE_CHARS) {
            return new NodeResolution.Malformed(reference.substring(0, MAX_REFERENCE_CHARS) + "…", "a node reference is at most " + MAX_REFERENCE_CHARS
                    + " characters; give a node name or an id like N3");
        }
        Matcher generational = GENERATIONAL.matcher(reference);
        if (generational.matches()) {
            return byIncarnation(nodes, reference, generational);
        }
        Matcher plain = PLAIN_ID.matcher(reference);
        if (plain.matches()) {
            return parseId(plain.group(1)).map(id -> byId(nodes, reference, id))
                    .orElseGet(() -> new NodeResolution.Malformed(reference, "'" + reference + "' is not a node id: the number is too large"));
        }
        if (BARE_NUMBER.matcher(reference).matches()) {
            return bareNumber(nodes, reference);
        }
        if (reference.contains(":")) {
            return notGenerational(reference);
        }
        return byName(nodes, reference);
    }

    private static NodeResolution notGenerational(String reference) {
        return new NodeResolution.Malformed(reference, "'" + reference + "' is not a generational node id: expected a form like N3:7"
                + " (id N3, incarnation 7)");
    }

    private static NodeResolution byIncarnation(NodesConfiguration nodes, String reference, Matcher generational) {
        Optional<NodeId> id = parseId(generational.group(1));
        Optional<Integer> generation = parseNumber(generational.group(2)).filter(g -> g >= GenerationalNodeId.FIRST_GENERATION);
        if (id.isEmpty() || generation.isEmpty()) {
            return notGenerational(reference);
        }
        NodeResolution plain = byId(nodes, reference, id.get());
        if (!(plain instanceof NodeResolution.Found found)) {
            return plain;
        }
        GenerationalNodeId requested = id.get().withGeneration(generation.get());
        NodeConfig node = found.node();
        if (node.id().equals(requested)) {
            return found;
        }
        String when = requested.generation() < node.id().generation() ? "is no longer current: the node registered again since"
                : "is not an incarnation it has had yet";
        return new NodeResolution.Stale(requested, node, requested + " " + when + "; " + NodeResolution.label(node) + " is now " + node.id()
                + ". Look at its state again, then give " + node.id() + " or " + node.nodeId());
    }

    private static NodeResolution byId(NodesConfiguration nodes, String reference, NodeId id) {
        Optional<NodeConfig> node = nodes.find(id);
        if (node.isPresent()) {
            return new NodeResolution.Found(node.get());
        }
        Optional<Tombstone> removed = nodes.tombstones().stream().filter(t -> t.id().equals(id)).findFirst();
        if (removed.isPresent()) {
            return new NodeResolution.Unknown(reference, "unknown node '" + reference + "': " + id + " (" + removed.get().name() + ") was removed");
        }
        return new NodeResolution.Unknown(reference, "unknown node '" + reference + "': no node has the id " + id + "; " + known(nodes));
    }

    private static NodeResolution bareNumber(NodesConfiguration nodes, String reference) {
        Optional<Integer> number = parseNumber(reference.contains(":") ? reference.substring(0, reference.indexOf(':')) : reference);
        List<String> candidates = new ArrayList<>();
        Optional<NodeConfig> withThatId = number.flatMap(n -> n >= 1 ? nodes.find(NodeId.of(n)) : Optional.empty());
        withThatId.ifPresent(byId -> candidates.add(NodeResolution.label(byId)));
        for (NodeConfig node : nodes.nodes()) {
            Matcher trailing = TRAILING_NUMBER.matcher(node.name());
            boolean alreadyListed = withThatId.isPresent() && withThatId.get().nodeId().equals(node.nodeId());
            if (number.isPresent() && !alreadyListed && trailing.find() && parseNumber(trailing.group(1)).equals(number)) {
                candidates.add(node.name() + " (" + node.nodeId() + ")");
            }
        }
        String ambiguity = "'" + reference + "' is refused: a bare number could mean an id or the number in a name, and ids follow the"
                + " order in which nodes registered while names do not";
        return new NodeResolution.Malformed(reference, candidates.isEmpty()
                ? ambiguity + "; give a node name or an id like N" + reference.replaceAll(":.*", "") + "; " + known(nodes)
                : ambiguity + "; did you mean " + String.join(" or ", candidates.stream().limit(MAX_LISTED).toList()) + "?");
    }

    private static NodeResolution byName(NodesConfiguration nodes, String reference) {
        Optional<NodeConfig> exact = nodes.findByName(reference);
        if (exact.isPresent()) {
            return new NodeResolution.Found(exact.get());
        }
        List<NodeConfig> ignoringCase = nodes.nodes().stream().filter(n -> n.name().equalsIgnoreCase(reference)).toList();
        if (ignoringCase.size() == 1) {
            return new NodeResolution.Found(ignoringCase.getFirst());
        }
        if (ignoringCase.size() > 1) {
            List<String> names = ignoringCase.stream().map(n -> n.name() + " (" + n.nodeId() + ")").toList();
            return new NodeResolution.Malformed(reference, "'" + reference + "' is ambiguous: the names " + String.join(", ", names)
                    + " differ only in case; give the exact name or the id");
        }
        Optional<Tombstone> removed = nodes.tombstones().stream().filter(t -> t.name().equalsIgnoreCase(reference))
                .max(Comparator.comparing(Tombstone::id));
        if (removed.isPresent()) {
            return new NodeResolution.Unknown(reference, "unknown node '" + reference + "': " + removed.get().name() + " ("
                    + removed.get().id() + ") was removed");
        }
        String suggestion = closestName(nodes, reference).map(n -> "did you mean " + n.name() + " (" + n.nodeId() + ")?").orElse(known(nodes));
        return new NodeResolution.Unknown(reference, "unknown node '" + reference + "'; " + suggestion);
    }

    /**
     * The live node whose name is nearest to {@code reference} by edit distance (ignoring case), if it is
     * near enough to be a slip of the fingers: at most a third of the name's length, and at least two edits
     * allowed so that short names still get suggestions. Ties go to the lower id, so the answer is stable.
     */
    private static Optional<NodeConfig> closestName(NodesConfiguration nodes, String reference) {
        String typed = reference.toLowerCase(Locale.ROOT);
        NodeConfig best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (NodeConfig node : nodes.nodes()) {
            String name = node.name().toLowerCase(Locale.ROOT);
            int distance = editDistance(typed, name);
            int allowed = Math.max(2, name.length() / 3);
            if (distance <= allowed && distance < bestDistance) {
                best = node;
                bestDistance = distance;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The live nodes, for a message about a reference that names none of them. */
    private static String known(NodesConfiguration nodes) {
        if (nodes.nodes().isEmpty()) {
            return "the cluster has no nodes yet";
        }
        List<String> listed = nodes.nodes().stream().limit(MAX_LISTED).map(NodeResolution::label).toList();
        int more = nodes.nodes().size() - listed.size();
        return "the nodes are " + String.join(", ", listed) + (more > 0 ? " and " + more + " more" : "");
    }

    private static Optional<NodeId> parseId(String digits) {
        return parseNumber(digits).filter(n -> n >= 1).map(NodeId::of);
    }

    /** A non-negative decimal number that fits an int, or empty; the patterns only let digits through. */
    private static Optional<Integer> parseNumber(String digits) {
        if (digits.length() > 9) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(digits));
    }

    /** Levenshtein distance, for suggesting the name an operator probably meant. */
    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
