package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.model.PartitionId;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@link PartitionMap} behaves as a {@code TreeMap} of partitions does, for every operation the controller uses. */
class PartitionMapTest {

    @Test
    void randomOperationsLeaveItEqualToATreeMapInContentAndOrder() {
        long seed = new Random().nextLong();
        System.out.println("PartitionMapTest seed: " + seed);
        Random random = new Random(seed);
        PartitionMap<String> map = new PartitionMap<>();
        TreeMap<PartitionId, String> reference = new TreeMap<>();
        for (int step = 0; step < 20_000; step++) {
            PartitionId partition = PartitionId.of(random.nextInt(step < 10_000 ? 40 : 5_000));
            String context = "seed " + seed + ", step " + step;
            switch (random.nextInt(5)) {
                case 0, 1 -> assertThat(map.put(partition, "v" + step)).as(context).isEqualTo(reference.put(partition, "v" + step));
                case 2 -> assertThat(map.remove(partition)).as(context).isEqualTo(reference.remove(partition));
                case 3 -> assertThat(map.get(partition)).as(context).isEqualTo(reference.get(partition));
                default -> {
                    // Remove through the iterator every partition divisible by a random number.
                    int divisor = 2 + random.nextInt(20);
                    map.keySet().removeIf(p -> p.value() % divisor == 0);
                    reference.keySet().removeIf(p -> p.value() % divisor == 0);
                }
            }
            assertThat(map.size()).as(context).isEqualTo(reference.size());
        }
        assertThat(map).isEqualTo(reference);
        assertThat(map.keySet()).containsExactlyElementsOf(reference.keySet());
        assertThat(map.values()).containsExactlyElementsOf(reference.values());
        assertThat(map.entrySet()).containsExactlyElementsOf(reference.entrySet());
        assertThat(map.containsKey(PartitionId.of(1_000_000))).isFalse();
        assertThat(map.get("not a partition")).isNull();
    }

    @Test
    void aChangeAroundAnIteratorFailsItAndNullValuesAreRefused() {
        PartitionMap<String> map = new PartitionMap<>();
        map.put(PartitionId.of(1), "a");
        map.put(PartitionId.of(3), "b");
        Iterator<Map.Entry<PartitionId, String>> entries = map.entrySet().iterator();
        entries.next();
        map.put(PartitionId.of(2), "c");
        assertThatThrownBy(entries::next).isInstanceOf(ConcurrentModificationException.class);
        assertThatThrownBy(() -> map.put(PartitionId.of(4), null)).isInstanceOf(NullPointerException.class);
        assertThat(map.put(PartitionId.of(3), "d")).as("a new value for a partition is not a change of the keys").isEqualTo("b");
    }
}
