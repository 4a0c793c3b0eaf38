package dev.sluice.controller;

import dev.sluice.model.NodeId;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The partitions each worker's latest status answer hosted, so that an answer hosting the same ones carries the very
 * same array, and one hosting others says how they differ. The controller's pass then sees "hosts what it did" by
 * comparing two references, and applies a change by its few partitions ({@link ReplicaHosts}), where it compared and
 * walked two arrays of hundreds of partitions for each of thousands of answers: 15 % of a drain pass at 10,000 ×
 * 1,000,000. The comparison is made here instead, by the threads that decode the answers. A data plane keeps one; the
 * arrays are never changed, so sharing them is safe.
 */
final class HostedSets {

    private final ConcurrentHashMap<NodeId, int[]> latest = new ConcurrentHashMap<>();

    /**
     * {@code answer} carrying the array of the worker's previous answer when it hosts the same partitions, and otherwise
     * how it differs from that answer ({@link NodeReplicas.HostedChange}); {@code answer} itself for a worker's first.
     */
    NodeReplicas shared(NodeReplicas answer) {
        int[] hosted = answer.hostedPartitions();
        int[] before = latest.get(answer.node());
        if (before != null && Arrays.equals(before, hosted)) {
            return answer.withHostedArray(before);
        }
        latest.put(answer.node(), hosted);
        return before == null ? answer : answer.withHostedChange(NodeReplicas.HostedChange.between(before, hosted));
    }
}
