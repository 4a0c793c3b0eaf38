package dev.sluice.controller;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which workers' latest reports host each partition: how the {@link Observer} finds the reports a moved leadership
 * changes. Looking for them in every report cost a lookup in each of ten thousand reports per moved leadership, nearly
 * half of a controller pass balancing leaderships at 10,000 × 1,000,000. Changed report by report, and only where two
 * reports of a worker host different partitions (almost every answer hosts what the last one did). Soft state of the
 * {@link Observer}, on the controller's thread.
 */
final class ReplicaHosts {

    /** Hosts kept in the array per partition; a partition with more (a move under way and a removal) keeps the rest aside. */
    private static final int SLOTS = 4;
    private static final int EMPTY = 0;

    /** Node ids by partition number, {@link #SLOTS} a partition, {@link #EMPTY} where none. */
    private int[] slots = new int[0];
    private final Map<Integer, List<Integer>> overflow = new HashMap<>();

    /**
     * Takes {@code node}'s report {@code before} out and puts {@code after} in; either may be null. By the change the
     * answer's decoder worked out when it was made against {@code before}'s very array, else by one worked out here.
     */
    void replace(NodeReplicas before, NodeReplicas after) {
        int[] was = before == null ? new int[0] : before.hostedPartitions();
        int[] is = after == null ? new int[0] : after.hostedPartitions();
        if (was == is) {
            return;
        }
        int node = (after != null ? after.node() : before.node()).value();
        NodeReplicas.HostedChange change = after == null ? null : after.hostedChange();
        if (change == null || before == null || change.from() != was) {
            if (Arrays.equals(was, is)) {
                return;
            }
            change = NodeReplicas.HostedChange.between(was, is);
        }
        for (int p : change.removed()) {
            remove(p, node);
        }
        for (int p : change.added()) {
            add(p, node);
        }
    }

    /** The workers whose latest report hosts {@code partition}, in no order. */
    List<NodeId> hosts(PartitionId partition) {
        int p = partition.value();
        List<NodeId> hosts = new ArrayList<>(SLOTS);
        for (int s = p * SLOTS; s < (p + 1) * SLOTS && s < slots.length; s++) {
            if (slots[s] != EMPTY) {
                hosts.add(NodeId.of(slots[s]));
            }
        }
        List<Integer> more = overflow.get(p);
        if (more != null) {
            more.forEach(node -> hosts.add(NodeId.of(node)));
        }
        return hosts;
    }

    private void add(int p, int node) {
        if ((p + 1) * SLOTS > slots.length) {
            slots = Arrays.copyOf(slots, Math.max((p + 1) * SLOTS, slots.length * 3 / 2));
        }
        for (int s = p * SLOTS; s < (p + 1) * SLOTS; s++) {
            if (slots[s] == EMPTY) {
                slots[s] = node;
                return;
            }
        }
        overflow.computeIfAbsent(p, k -> new ArrayList<>(1)).add(node);
    }

    private void remove(int p, int node) {
        for (int s = p * SLOTS; s < (p + 1) * SLOTS && s < slots.length; s++) {
            if (slots[s] == node) {
                slots[s] = EMPTY;
                return;
            }
        }
        List<Integer> more = overflow.get(p);
        if (more == null || !more.remove(Integer.valueOf(node))) {
            throw new IllegalStateException("BUG: P" + p + " was not listed as hosted by N" + node);
        }
        if (more.isEmpty()) {
            overflow.remove(p);
        }
    }

    /**
     * Where the kept hosts disagree with those of {@code reports}, one line each; empty when they agree. For the
     * simulation's checks, so a report change this missed fails the run.
     */
    List<String> check(Map<NodeId, NodeReplicas> reports) {
        Map<PartitionId, List<NodeId>> derived = new HashMap<>();
        for (NodeReplicas report : reports.values()) {
            for (PartitionId partition : report.replicas().keySet()) {
                derived.computeIfAbsent(partition, k -> new ArrayList<>()).add(report.node());
            }
        }
        List<String> wrong = new ArrayList<>();
        int kept = overflow.values().stream().mapToInt(List::size).sum();
        for (int slot : slots) {
            kept += slot != EMPTY ? 1 : 0;
        }
        int reported = derived.values().stream().mapToInt(List::size).sum();
        if (kept != reported) {
            wrong.add(kept + " replicas kept as hosted, " + reported + " in the reports");
        }
        for (Map.Entry<PartitionId, List<NodeId>> entry : derived.entrySet()) {
            List<NodeId> hosts = hosts(entry.getKey());
            hosts.sort(null);
            entry.getValue().sort(null);
            if (!hosts.equals(entry.getValue())) {
                wrong.add(entry.getKey() + " is kept as hosted by " + hosts + ", the reports say " + entry.getValue());
            }
        }
        return wrong;
    }
}
