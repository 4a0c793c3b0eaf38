package dev.sluice.scheduler;

/**
 * A set of nodes kept sorted by load (replicas held), so that "the least loaded node that is not
 * excluded" costs a scan of a few entries instead of all nodes. Loads live in an array shared with
 * other indexes over overlapping node sets (all eligible nodes, the eligible nodes of one zone); the
 * caller announces a change before making it, so each index can keep its order with one swap.
 *
 * <p>Within one load the order is the order of arrival: a node that just received a replica goes to
 * the end of its new load group, which spreads consecutive placements round-robin.
 */
final class LoadIndex {

    private final int[] load;
    private final int[] order;
    private final int[] position;

    /** @param members node indices, ascending: ties in load start in that order */
    LoadIndex(int[] load, int[] members, int nodeCount) {
        this.load = load;
        this.position = new int[nodeCount];
        java.util.Arrays.fill(position, -1);
        Integer[] boxed = new Integer[members.length];
        for (int i = 0; i < members.length; i++) {
            boxed[i] = members[i];
        }
        // Stable sort: equal loads keep ascending node order.
        java.util.Arrays.sort(boxed, (a, b) -> Integer.compare(load[a], load[b]));
        this.order = new int[members.length];
        for (int i = 0; i < boxed.length; i++) {
            order[i] = boxed[i];
            position[boxed[i]] = i;
        }
    }

    int size() {
        return order.length;
    }

    /** The node at rank {@code rank}, rank 0 being the least loaded. */
    int at(int rank) {
        return order[rank];
    }

    /** The number of nodes that share the lowest load (0 if the index is empty). */
    int leastLoadedCount() {
        if (order.length == 0) {
            return 0;
        }
        int lowest = load[order[0]];
        int low = 0;
        int high = order.length - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (load[order[mid]] <= lowest) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low + 1;
    }

    boolean contains(int node) {
        return position[node] >= 0;
    }

    /** Call just before {@code load[node]} grows by one. */
    void beforeIncrement(int node) {
        int from = position[node];
        int current = load[node];
        // The last rank holding this load: the node swaps there and stays sorted once its load grows.
        int low = from;
        int high = order.length - 1;
        while (low < high) {
            int mid = (low + high + 1) >>> 1;
            if (load[order[mid]] <= current) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        swap(from, low);
    }

    /** Call just before {@code load[node]} shrinks by one. */
    void beforeDecrement(int node) {
        int from = position[node];
        int current = load[node];
        // The first rank holding this load.
        int low = 0;
        int high = from;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (load[order[mid]] >= current) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        swap(from, low);
    }

    private void swap(int a, int b) {
        if (a == b) {
            return;
        }
        int nodeA = order[a];
        int nodeB = order[b];
        order[a] = nodeB;
        order[b] = nodeA;
        position[nodeB] = a;
        position[nodeA] = b;
    }
}
