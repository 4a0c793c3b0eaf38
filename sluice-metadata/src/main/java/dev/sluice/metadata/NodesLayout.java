package dev.sluice.metadata;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Tombstone;
import dev.sluice.model.Version;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * How the nodes configuration is stored since format 2: a small header at {@link MetadataKeys#NODES} and one document
 * per node id, live or removed, at {@code nodes-by-id/N<k>}. Every write of the configuration is one commit of the
 * header, conditioned on its version, and the documents of the nodes that changed; each document names the
 * configuration version it was written at, and the header lists which ids the latest versions changed, so a reader
 * can tell a consistent set of documents from a mix of two versions and re-read only what changed.
 */
final class NodesLayout {

    private NodesLayout() {}

    /** The header's format; format 1 was the whole configuration in one document at the same key. */
    static final int HEADER_FORMAT = 2;
    static final int SINGLE_DOCUMENT_FORMAT = 1;
    static final int NODE_FORMAT = 1;

    static final DocumentCodec<Header> HEADER_CODEC = new DocumentCodec<>(Header.class, "nodes configuration header", HEADER_FORMAT);
    static final DocumentCodec<NodesConfiguration> SINGLE_DOCUMENT_CODEC = new DocumentCodec<>(NodesConfiguration.class, "nodes configuration",
            SINGLE_DOCUMENT_FORMAT);
    static final DocumentCodec<NodeDocument> NODE_CODEC = new DocumentCodec<>(NodeDocument.class, "node document", NODE_FORMAT);

    /**
     * Versions the header remembers the changed ids of. A reader that last saw a version at most this many versions
     * back reads only the documents that changed since; one further back reads them all. 256 versions of one node
     * each is ~3 KB of header.
     */
    static final int RECENT_VERSIONS_MAX = 256;
    /**
     * Ids the header's recent list holds at most, over all its versions, so the header stays under ~40 KB whatever
     * the changes; a change of more ids than this empties the list, and every reader reads all documents once.
     */
    static final int RECENT_IDS_MAX = 4_096;

    static String key(NodeId id) {
        return MetadataKeys.NODES_BY_ID + "/" + id;
    }

    /**
     * The cluster-wide part of the configuration.
     *
     * @param version the configuration's version
     * @param documents how many node documents the version has (live nodes and tombstones): a reader that finds
     *     another number found a layout it must not trust
     * @param recent the ids each of the latest versions changed, oldest first, contiguous up to {@code version}
     * @param write a random id of the commit that wrote the header: the store tells a write whose reply was lost from
     *     another writer's by the bytes it finds, and two writers changing the same node to the same version would
     *     otherwise write the same header
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Header(Version version, int documents, List<Recent> recent, String write) {

        Header {
            Objects.requireNonNull(version, "version");
            recent = recent == null ? List.of() : List.copyOf(recent);
            if (documents < 0) {
                throw new IllegalArgumentException("a header cannot count " + documents + " documents");
            }
            for (int i = 0; i < recent.size(); i++) {
                long expected = version.value() - (recent.size() - 1 - i);
                if (recent.get(i).version().value() != expected) {
                    throw new IllegalArgumentException("the header of " + version + " lists recent changes out of order: " + recent.get(i).version()
                            + " where " + Version.of(expected) + " belongs");
                }
            }
        }

        /**
         * The ids changed after {@code seen} up to this version, or empty when the header no longer remembers all of
         * them (or {@code seen} is not older than this version, which a reader does not ask about).
         */
        Optional<Set<NodeId>> changedSince(Version seen) {
            long versions = version.value() - seen.value();
            if (versions < 0 || versions > recent.size()) {
                return Optional.empty();
            }
            Set<NodeId> changed = new TreeSet<>();
            for (Recent entry : recent.subList(recent.size() - (int) versions, recent.size())) {
                changed.addAll(entry.changed());
            }
            return Optional.of(changed);
        }

        /** The header of {@code next}, written by a change of {@code changed} on top of this one (or none: a first write). */
        static Header after(Header previous, NodesConfiguration next, Set<NodeId> changed) {
            List<Recent> recent = new ArrayList<>(previous == null ? List.of() : previous.recent());
            recent.add(new Recent(next.version(), List.copyOf(new TreeSet<>(changed))));
            int ids = recent.stream().mapToInt(entry -> entry.changed().size()).sum();
            while (!recent.isEmpty() && (recent.size() > RECENT_VERSIONS_MAX || ids > RECENT_IDS_MAX)) {
                ids -= recent.removeFirst().changed().size();
            }
            return new Header(next.version(), next.nodes().size() + next.tombstones().size(), recent, java.util.UUID.randomUUID().toString());
        }
    }

    record Recent(Version version, List<NodeId> changed) {
        Recent {
            Objects.requireNonNull(version, "version");
            changed = List.copyOf(changed);
        }
    }

    /**
     * One node id's document: the live node or its tombstone, exactly one of them.
     *
     * @param writtenAt the configuration version whose commit wrote this document
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record NodeDocument(Version writtenAt, NodeConfig node, Tombstone removed) {

        NodeDocument {
            Objects.requireNonNull(writtenAt, "writtenAt");
            if ((node == null) == (removed == null)) {
                throw new IllegalArgumentException("a node document holds either a node or its tombstone");
            }
        }

        NodeId id() {
            return node != null ? node.nodeId() : removed.id();
        }

        /** The same content, as written at another version. */
        boolean sameContent(NodeDocument other) {
            return other != null && Objects.equals(node, other.node) && Objects.equals(removed, other.removed);
        }
    }

    /** Every node id's document of {@code configuration}, as if written at its version. */
    static Map<NodeId, NodeDocument> documentsOf(NodesConfiguration configuration) {
        Map<NodeId, NodeDocument> documents = new HashMap<>();
        for (NodeConfig node : configuration.nodes()) {
            documents.put(node.nodeId(), new NodeDocument(configuration.version(), node, null));
        }
        for (Tombstone tombstone : configuration.tombstones()) {
            documents.put(tombstone.id(), new NodeDocument(configuration.version(), null, tombstone));
        }
        return documents;
    }

    /** The configuration at {@code version} that {@code documents} make up. */
    static NodesConfiguration assemble(Version version, Map<NodeId, NodeDocument> documents) {
        List<NodeConfig> nodes = new ArrayList<>(documents.size());
        List<Tombstone> tombstones = new ArrayList<>();
        for (NodeDocument document : documents.values()) {
            if (document.node() != null) {
                nodes.add(document.node());
            } else {
                tombstones.add(document.removed());
            }
        }
        return new NodesConfiguration(version, nodes, tombstones);
    }
}
