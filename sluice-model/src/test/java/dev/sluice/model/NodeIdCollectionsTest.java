package dev.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** {@link NodeIdSet} and {@link NodeIdMap} against the JDK's sorted set and map, through seeded random changes. */
class NodeIdCollectionsTest {

    private static final long SEED = 20261130L;

    /** Mostly dense ids, some past the array's reach and some at its edges. */
    private static NodeId randomId(Random random) {
        return switch (random.nextInt(10)) {
            case 0 -> NodeId.of(NodeIdSet.DENSE_LIMIT + random.nextInt(5));
            case 1 -> NodeId.of(NodeIdSet.DENSE_LIMIT - 1 - random.nextInt(3));
            case 2 -> NodeId.of(63 + random.nextInt(3));
            default -> NodeId.of(1 + random.nextInt(300));
        };
    }

    @Test
    void theSetAnswersAsATreeSetThroughRandomChanges() {
        System.out.println("NodeIdCollectionsTest seed " + SEED);
        Random random = new Random(SEED);
        for (int round = 0; round < 50; round++) {
            NodeIdSet set = new NodeIdSet();
            TreeSet<NodeId> expected = new TreeSet<>();
            for (int step = 0; step < 400; step++) {
                NodeId id = randomId(random);
                switch (random.nextInt(8)) {
                    case 0, 1, 2 -> assertThat(set.add(id)).isEqualTo(expected.add(id));
                    case 3, 4 -> assertThat(set.remove(id)).isEqualTo(expected.remove(id));
                    case 5 -> {
                        // Removing through the iterator: every other id.
                        Iterator<NodeId> it = set.iterator();
                        boolean drop = false;
                        while (it.hasNext()) {
                            NodeId next = it.next();
                            if (drop) {
                                it.remove();
                                expected.remove(next);
                            }
                            drop = !drop;
                        }
                    }
                    case 6 -> {
                        NodeIdSet copy = NodeIdSet.copyOf(set);
                        copy.add(NodeId.of(1_000));
                        assertThat(set.contains(NodeId.of(1_000))).isEqualTo(expected.contains(NodeId.of(1_000)));
                        set = random.nextBoolean() ? NodeIdSet.copyOf(expected) : NodeIdSet.copyOf(NodeIdSet.copyOf(expected));
                    }
                    default -> {
                        if (random.nextInt(20) == 0) {
                            set.clear();
                            expected.clear();
                        }
                    }
                }
                assertThat(set.contains(id)).isEqualTo(expected.contains(id));
                assertThat(set.containsId(id.value())).isEqualTo(expected.contains(id));
                assertThat(set).hasSize(expected.size());
            }
            assertThat(new ArrayList<>(set)).as("in id order").containsExactlyElementsOf(expected);
            assertThat(set).isEqualTo(new HashSet<>(expected)).hasSameHashCodeAs(new HashSet<>(expected));
            // Equal sets whose bits and trees were grown differently: the bit-by-bit comparison must still say equal.
            NodeIdSet grownApart = new NodeIdSet();
            List<NodeId> extra = List.of(NodeId.of(5_000), NodeId.of(NodeIdSet.DENSE_LIMIT + 9));
            grownApart.addAll(extra);
            grownApart.addAll(expected);
            extra.forEach(grownApart::remove);
            assertThat(set.equals(grownApart)).isTrue();
            assertThat(grownApart.equals(set)).isTrue();
            grownApart.add(NodeId.of(random.nextBoolean() ? 5_001 : NodeIdSet.DENSE_LIMIT + 10));
            assertThat(set.equals(grownApart)).isFalse();
            assertThat(grownApart.equals(set)).isFalse();
            assertThat(set.contains("N3")).isFalse();
        }
    }

    @Test
    void theMapAnswersAsATreeMapThroughRandomChanges() {
        System.out.println("NodeIdCollectionsTest seed " + SEED);
        Random random = new Random(SEED + 1);
        for (int round = 0; round < 50; round++) {
            NodeIdMap<String> map = new NodeIdMap<>();
            TreeMap<NodeId, String> expected = new TreeMap<>();
            for (int step = 0; step < 400; step++) {
                NodeId id = randomId(random);
                String value = "v" + random.nextInt(1000);
                switch (random.nextInt(8)) {
                    case 0, 1, 2 -> assertThat(map.put(id, value)).isEqualTo(expected.put(id, value));
                    case 3 -> assertThat(map.remove(id)).isEqualTo(expected.remove(id));
                    case 4 -> {
                        Iterator<String> values = map.values().iterator();
                        Iterator<NodeId> keys = expected.keySet().iterator();
                        while (values.hasNext()) {
                            values.next();
                            keys.next();
                            if (random.nextInt(3) == 0) {
                                values.remove();
                                keys.remove();
                            }
                        }
                    }
                    case 5 -> {
                        for (Map.Entry<NodeId, String> entry : map.entrySet()) {
                            if (random.nextInt(4) == 0) {
                                entry.setValue(entry.getValue() + "'");
                                expected.put(entry.getKey(), entry.getValue());
                            }
                        }
                    }
                    case 6 -> {
                        Set<NodeId> keep = new HashSet<>();
                        expected.keySet().forEach(key -> {
                            if (random.nextBoolean()) {
                                keep.add(key);
                            }
                        });
                        map.keySet().retainAll(keep);
                        expected.keySet().retainAll(keep);
                    }
                    default -> {
                        if (random.nextInt(20) == 0) {
                            map.clear();
                            expected.clear();
                        }
                    }
                }
                assertThat(map.get(id)).isEqualTo(expected.get(id));
                assertThat(map.containsKey(id)).isEqualTo(expected.containsKey(id));
                assertThat(map).hasSize(expected.size());
            }
            List<Map.Entry<NodeId, String>> entries = new ArrayList<>(map.entrySet());
            assertThat(entries).as("in id order").containsExactlyElementsOf(expected.entrySet());
            assertThat(map).isEqualTo(expected).hasSameHashCodeAs(expected);
            assertThat(map.get("N3")).isNull();
        }
    }

    @Test
    void changingACollectionUnderItsIteratorIsCaughtAndANullValueRefused() {
        NodeIdSet set = NodeIdSet.copyOf(List.of(NodeId.of(1), NodeId.of(2)));
        Iterator<NodeId> ids = set.iterator();
        ids.next();
        set.add(NodeId.of(3));
        assertThatThrownBy(ids::next).isInstanceOf(ConcurrentModificationException.class);

        NodeIdMap<String> map = new NodeIdMap<>();
        map.put(NodeId.of(1), "a");
        map.put(NodeId.of(2), "b");
        Iterator<NodeId> keys = map.keySet().iterator();
        keys.next();
        map.remove(NodeId.of(2));
        assertThatThrownBy(keys::next).isInstanceOf(ConcurrentModificationException.class);
        assertThatThrownBy(() -> map.put(NodeId.of(4), null)).isInstanceOf(NullPointerException.class);
        assertThat(map).containsOnlyKeys(NodeId.of(1));
    }
}
