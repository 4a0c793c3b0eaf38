package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.wire.ClientWindow;
import dev.sluice.wire.ReplicaRole;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one worker reported at one instant: every partition replica it hosts and serves, every group it is
 * still removing (its files are not deleted yet), and whether its disk lets it take new work. Soft state; immutable.
 */
public final class NodeReplicas {

    /**
     * A group the worker is removing.
     *
     * @param since when the worker started removing it
     * @param overdue whether the removal is past the worker's deadline for it
     * @param detail what the removal waits for, in the worker's words
     */
    public record Removal(PartitionId partition, Instant since, int attempts, boolean overdue, String detail) {}

    private final NodeId node;
    private final Instant observedAt;
    private final Map<PartitionId, ReplicaView> replicas;
    private final List<Removal> removals;
    private final boolean diskOk;
    private final ClientWindow clients;
    private final boolean shuttingDown;
    /**
     * The partitions this report says the worker leads, ascending, and the term of each: what the controller's
     * {@link LeaderClaims} are made of. Derived once where the report is made (off the controller's thread for a real
     * worker's answer) so that the controller, which gets thousands of answers a pass at ten thousand workers and
     * finds almost all of them claiming what the last one did, compares two short arrays instead of two whole reports.
     */
    private final int[] ledPartitions;
    private final long[] ledTerms;
    /** The partitions this report says the worker hosts, ascending: what {@link ReplicaHosts} is kept by. */
    private final int[] hostedPartitions;
    /** How they differ from an earlier answer's, or {@code null} ({@link HostedSets}). */
    private final HostedChange hostedChange;

    /**
     * How a report's hosted partitions differ from those of an earlier answer of the same worker, whose array is
     * {@code from}: worked out where the answer is decoded ({@link HostedSets}), so that the pass, whose reports are
     * kept by that very array, applies a change or two instead of walking two lists of hundreds of partitions.
     *
     * @param added partitions hosted now and not in {@code from}, ascending
     * @param removed partitions in {@code from} and not hosted now, ascending
     */
    record HostedChange(int[] from, int[] added, int[] removed) {

        /** The change from {@code from} to {@code to}, both ascending. */
        static HostedChange between(int[] from, int[] to) {
            int[] added = new int[to.length];
            int[] removed = new int[from.length];
            int adds = 0;
            int removes = 0;
            int f = 0;
            int t = 0;
            while (f < from.length || t < to.length) {
                int left = f < from.length ? from[f] : Integer.MAX_VALUE;
                int joined = t < to.length ? to[t] : Integer.MAX_VALUE;
                if (left == joined) {
                    f++;
                    t++;
                } else if (left < joined) {
                    removed[removes++] = left;
                    f++;
                } else {
                    added[adds++] = joined;
                    t++;
                }
            }
            return new HostedChange(from, java.util.Arrays.copyOf(added, adds), java.util.Arrays.copyOf(removed, removes));
        }
    }

    public NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas, List<Removal> removals, boolean diskOk,
            ClientWindow clients, boolean shuttingDown) {
        // Ascending as a sorted map, looked up as a hash map: the controller asks the reports of every moving partition's
        // members for it every pass, and walking down a tree for each was 6 % of a drain pass at 10,000 × 1,000,000.
        this(new LinkedHashMap<>(new TreeMap<>(replicas)), node, observedAt, removals, diskOk, clients, shuttingDown);
    }

    /** With {@code ascending} in partition order already, and kept: nobody else holds it. */
    private NodeReplicas(LinkedHashMap<PartitionId, ReplicaView> ascending, NodeId node, Instant observedAt, List<Removal> removals, boolean diskOk,
            ClientWindow clients, boolean shuttingDown) {
        this.node = node;
        this.observedAt = observedAt;
        this.replicas = java.util.Collections.unmodifiableMap(ascending);
        this.removals = removals == null ? List.of() : List.copyOf(removals);
        this.diskOk = diskOk;
        this.clients = clients;
        this.shuttingDown = shuttingDown;
        this.hostedPartitions = new int[ascending.size()];
        this.hostedChange = null;
        int hosted = 0;
        for (PartitionId partition : ascending.keySet()) {
            hostedPartitions[hosted++] = partition.value();
        }
        int led = 0;
        for (ReplicaView view : ascending.values()) {
            if (view.role() == ReplicaRole.LEADER) {
                led++;
            }
        }
        this.ledPartitions = new int[led];
        this.ledTerms = new long[led];
        int at = 0;
        for (ReplicaView view : ascending.values()) {
            if (view.role() == ReplicaRole.LEADER) {
                ledPartitions[at] = view.partition().value();
                ledTerms[at++] = view.term();
            }
        }
    }

    public NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas) {
        this(node, observedAt, replicas, List.of(), true, null, false);
    }

    public NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas, List<Removal> removals) {
        this(node, observedAt, replicas, removals, true, null, false);
    }

    public NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas, List<Removal> removals, boolean diskOk) {
        this(node, observedAt, replicas, removals, diskOk, null, false);
    }

    public NodeReplicas(NodeId node, Instant observedAt, Map<PartitionId, ReplicaView> replicas, List<Removal> removals, boolean diskOk,
            ClientWindow clients) {
        this(node, observedAt, replicas, removals, diskOk, clients, false);
    }

    public boolean hosts(PartitionId partition) {
        return replicas.containsKey(partition);
    }

    /** How many partitions the report says the worker leads; {@link #ledPartition} and {@link #ledTerm} index them. */
    int ledCount() {
        return ledPartitions.length;
    }

    /** The {@code index}th partition (ascending) the report says the worker leads. */
    int ledPartition(int index) {
        return ledPartitions[index];
    }

    /** The term in which the report says the worker leads {@link #ledPartition}{@code (index)}. */
    long ledTerm(int index) {
        return ledTerms[index];
    }

    /** The partitions the report says the worker hosts, ascending; not to be changed. */
    int[] hostedPartitions() {
        return hostedPartitions;
    }

    /** Whether the two reports claim the same leaderships in the same terms. */
    boolean claimsAsMuchAs(NodeReplicas other) {
        return java.util.Arrays.equals(ledPartitions, other.ledPartitions) && java.util.Arrays.equals(ledTerms, other.ledTerms);
    }

    /** Holds no replica and no files of one: what "emptied" means for the worker itself. */
    public boolean holdsNothing() {
        return replicas.isEmpty() && removals.isEmpty();
    }

    /**
     * The same report with the views of some of the partitions it hosts replaced. The replaced views lie over this
     * report's map rather than in a copy of it ({@link ReplacedViews}), and the leaderships are merged from this report's:
     * a moved leadership changes a view or two of each of its hosts' reports, and copying each report's hundreds of views
     * for it was a sixth of a controller pass balancing leaderships at 10,000 workers.
     *
     * @throws IllegalArgumentException if a replaced view is of a partition the report does not host
     */
    NodeReplicas withViews(Map<PartitionId, ReplicaView> replaced) {
        Map<PartitionId, ReplicaView> base = replicas;
        Map<PartitionId, ReplicaView> over = new HashMap<>();
        if (replicas instanceof ReplacedViews views) {
            base = views.base;
            over.putAll(views.replaced);
        }
        for (Map.Entry<PartitionId, ReplicaView> entry : replaced.entrySet()) {
            if (!entry.getKey().equals(entry.getValue().partition()) || !base.containsKey(entry.getKey())) {
                throw new IllegalArgumentException(node + "'s report does not host " + entry.getKey() + " to replace its view with " + entry.getValue());
            }
            over.put(entry.getKey(), entry.getValue());
        }
        Map<PartitionId, ReplicaView> views;
        if (over.size() > ReplacedViews.MAX_REPLACED) {
            LinkedHashMap<PartitionId, ReplicaView> copy = new LinkedHashMap<>(base);
            copy.putAll(over);
            views = java.util.Collections.unmodifiableMap(copy);
        } else {
            views = new ReplacedViews(base, over);
        }
        // The leaderships: this report's, with those of the replaced partitions taken out and put back as they are now.
        PartitionId[] changed = replaced.keySet().toArray(new PartitionId[0]);
        java.util.Arrays.sort(changed);
        int[] partitions = new int[ledPartitions.length + changed.length];
        long[] terms = new long[partitions.length];
        int size = 0;
        int c = 0;
        for (int l = 0; l <= ledPartitions.length; l++) {
            int kept = l < ledPartitions.length ? ledPartitions[l] : Integer.MAX_VALUE;
            for (; c < changed.length && changed[c].value() <= kept; c++) {
                ReplicaView view = replaced.get(changed[c]);
                if (view.role() == ReplicaRole.LEADER) {
                    partitions[size] = view.partition().value();
                    terms[size++] = view.term();
                }
            }
            if (l < ledPartitions.length && (c == 0 || changed[c - 1].value() != kept)) {
                partitions[size] = kept;
                terms[size++] = ledTerms[l];
            }
        }
        return new NodeReplicas(this, views, java.util.Arrays.copyOf(partitions, size), java.util.Arrays.copyOf(terms, size), hostedPartitions, hostedChange);
    }

    /** This report, with {@code same} — an array equal to its hosted partitions — as its array of them ({@link HostedSets}). */
    NodeReplicas withHostedArray(int[] same) {
        if (!java.util.Arrays.equals(same, hostedPartitions)) {
            throw new IllegalArgumentException("BUG: " + node + "'s report hosts " + hostedPartitions.length + " partitions, not those given");
        }
        return new NodeReplicas(this, replicas, ledPartitions, ledTerms, same, null);
    }

    /** This report, knowing how its hosted partitions differ from those of an earlier answer ({@link HostedSets}). */
    NodeReplicas withHostedChange(HostedChange change) {
        return new NodeReplicas(this, replicas, ledPartitions, ledTerms, hostedPartitions, change);
    }

    /** How the hosted partitions differ from an earlier answer's, when the answer's decoder worked that out; else {@code null}. */
    HostedChange hostedChange() {
        return hostedChange;
    }

    /**
     * {@code of} with other views, which host the same partitions (listed by {@code hostedPartitions}, equal to {@code of}'s,
     * and changed from an earlier answer's by {@code hostedChange}, which may be null) and lead {@code ledPartitions} in
     * {@code ledTerms}.
     */
    private NodeReplicas(NodeReplicas of, Map<PartitionId, ReplicaView> views, int[] ledPartitions, long[] ledTerms, int[] hostedPartitions,
            HostedChange hostedChange) {
        this.node = of.node;
        this.observedAt = of.observedAt;
        this.replicas = views;
        this.removals = of.removals;
        this.diskOk = of.diskOk;
        this.clients = of.clients;
        this.shuttingDown = of.shuttingDown;
        this.hostedPartitions = hostedPartitions;
        this.hostedChange = hostedChange;
        this.ledPartitions = ledPartitions;
        this.ledTerms = ledTerms;
    }

    /**
     * A report's views as another report's map with some views replaced, read-only, in that map's order: what
     * {@link #withViews} makes instead of a copy. Never laid over another one: replacing views of a report made so lays
     * the replacements of both over the first map, and past {@link #MAX_REPLACED} copies it once.
     */
    private static final class ReplacedViews extends java.util.AbstractMap<PartitionId, ReplicaView> {
        static final int MAX_REPLACED = 64;
        private final Map<PartitionId, ReplicaView> base;
        private final Map<PartitionId, ReplicaView> replaced;

        ReplacedViews(Map<PartitionId, ReplicaView> base, Map<PartitionId, ReplicaView> replaced) {
            this.base = base;
            this.replaced = replaced;
        }

        @Override
        public ReplicaView get(Object key) {
            ReplicaView view = replaced.get(key);
            return view != null ? view : base.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return base.containsKey(key);
        }

        @Override
        public int size() {
            return base.size();
        }

        @Override
        public java.util.Set<Map.Entry<PartitionId, ReplicaView>> entrySet() {
            return new java.util.AbstractSet<>() {
                @Override
                public java.util.Iterator<Map.Entry<PartitionId, ReplicaView>> iterator() {
                    java.util.Iterator<Map.Entry<PartitionId, ReplicaView>> entries = base.entrySet().iterator();
                    return new java.util.Iterator<>() {
                        @Override
                        public boolean hasNext() {
                            return entries.hasNext();
                        }

                        @Override
                        public Map.Entry<PartitionId, ReplicaView> next() {
                            Map.Entry<PartitionId, ReplicaView> entry = entries.next();
                            ReplicaView view = replaced.get(entry.getKey());
                            return view == null ? entry : Map.entry(entry.getKey(), view);
                        }
                    };
                }

                @Override
                public int size() {
                    return base.size();
                }
            };
        }
    }

    /** The same report as of another instant (to compare contents). */
    NodeReplicas at(Instant instant) {
        return new NodeReplicas(node, instant, replicas, removals, diskOk, clients, shuttingDown);
    }

    public NodeId node() {
        return node;
    }

    public Instant observedAt() {
        return observedAt;
    }

    /** Every replica the worker hosts, by partition, ascending. */
    public Map<PartitionId, ReplicaView> replicas() {
        return replicas;
    }

    public List<Removal> removals() {
        return removals;
    }

    /**
     * Whether the worker's data directory is above its free-space floor (its status says {@code disk.state: ok}, or says
     * nothing of its disk); a worker below it takes no writes, stops its Raft server when critical, and must get no
     * replica and no leadership.
     */
    public boolean diskOk() {
        return diskOk;
    }

    /** What the worker's clients asked of it over the few seconds before the report, or {@code null} from a worker that does not count them. */
    public ClientWindow clients() {
        return clients;
    }

    /**
     * Whether the worker is in a graceful shutdown (its status has {@code shutdown}): it is handing its leaderships away
     * and stops within its shutdown timeout, so it must get no replica and no leadership.
     */
    public boolean shuttingDown() {
        return shuttingDown;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof NodeReplicas that && diskOk == that.diskOk && shuttingDown == that.shuttingDown && node.equals(that.node)
                && observedAt.equals(that.observedAt) && replicas.equals(that.replicas) && removals.equals(that.removals)
                && java.util.Objects.equals(clients, that.clients);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(node, observedAt, replicas, removals, diskOk, clients, shuttingDown);
    }

    @Override
    public String toString() {
        return "NodeReplicas[node=" + node + ", observedAt=" + observedAt + ", replicas=" + replicas + ", removals=" + removals + ", diskOk="
                + diskOk + ", clients=" + clients + ", shuttingDown=" + shuttingDown + "]";
    }
}
