package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.Placement;
import dev.sluice.model.Version;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@link PlacementFeed} against a walk over everything: seeded random rounds of placements replaced, started moving,
 * completed, added and removed between passes, and written during them, and after every round the moving set, the
 * changed records, the removed partitions, what a cursor takes and the feed's own copy must be what comparing the rounds
 * from scratch gives. The rounds are read as every placement, or as a watching view hands changes over.
 * {@code -Dsluice.feed.seed=N} replays one seed.
 */
class PlacementFeedTest {

    private static final long FIRST_SEED = Long.getLong("sluice.feed.seed", 20261129L);
    private static final int SEEDS = Long.getLong("sluice.feed.seed") == null ? 20 : 1;

    @Test
    void theFeedAgreesWithAWalkOverEveryPlacement() {
        for (long seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
            run(seed);
        }
    }

    private static void run(long seed) {
        String replay = "seed " + seed + " (replay: -Dsluice.feed.seed=" + seed + ")";
        Random random = new Random(seed);
        PlacementFeed feed = new PlacementFeed();
        PlacementFeed.Cursor cursor = feed.cursor();
        Map<PartitionId, VersionedPlacement> previous = new HashMap<>();
        Map<PartitionId, VersionedPlacement> placements = new TreeMap<>();
        for (int p = 0; p < 20 + random.nextInt(40); p++) {
            placements.put(PartitionId.of(p), stable(p, random, 1));
        }
        for (int round = 0; round < 40; round++) {
            // Between passes: other writers replace, start, complete, add and remove records.
            Map<PartitionId, VersionedPlacement> pass = new TreeMap<>(placements);
            for (int change = random.nextInt(6); change > 0; change--) {
                int p = random.nextInt(80);
                VersionedPlacement before = pass.get(PartitionId.of(p));
                switch (random.nextInt(4)) {
                    case 0 -> pass.put(PartitionId.of(p), stable(p, random, before == null ? 1 : before.version() + 1));
                    case 1 -> {
                        if (before != null && !before.placement().hasNext()) {
                            pass.put(PartitionId.of(p), moving(before, random));
                        }
                    }
                    case 2 -> {
                        if (before != null && before.placement().hasNext()) {
                            pass.put(PartitionId.of(p), new VersionedPlacement(before.placement().completed(), before.version() + 1));
                        }
                    }
                    default -> pass.remove(PartitionId.of(p));
                }
            }
            if (round == 0 || random.nextInt(3) == 0) {
                feed.read(pass);
            } else {
                // As a watching view hands them over: the records that may have changed (some that did not, too) and
                // the partitions that went.
                List<VersionedPlacement> changed = new java.util.ArrayList<>();
                pass.forEach((partition, versioned) -> {
                    if (previous.get(partition) != versioned || random.nextInt(10) == 0) {
                        changed.add(versioned);
                    }
                });
                Set<PartitionId> gone = new HashSet<>(previous.keySet());
                gone.removeAll(pass.keySet());
                feed.read(new ClusterView.PlacementChanges(false, changed, gone));
            }
            // During the pass: the controller writes some records, into its copy and through the writer's hook.
            Set<PartitionId> writtenNow = new HashSet<>();
            for (int write = random.nextInt(4); write > 0 && !pass.isEmpty(); write--) {
                List<PartitionId> known = List.copyOf(pass.keySet());
                PartitionId partition = known.get(random.nextInt(known.size()));
                VersionedPlacement before = pass.get(partition);
                VersionedPlacement written = before.placement().hasNext()
                        ? new VersionedPlacement(before.placement().completed(), before.version() + 1) : moving(before, random);
                pass.put(partition, written);
                feed.written(written);
                writtenNow.add(partition);
            }
            assertThat(feed.check(pass)).as(replay + ", round " + round).isEmpty();

            Set<PartitionId> expectedLooked = new TreeSet<>();
            TreeSet<PartitionId> withNext = new TreeSet<>();
            pass.forEach((partition, versioned) -> {
                if (previous.get(partition) != versioned) {
                    expectedLooked.add(partition);
                }
                if (versioned.placement().hasNext()) {
                    withNext.add(partition);
                }
            });
            expectedLooked.addAll(withNext);
            Set<PartitionId> expectedRemoved = new TreeSet<>(previous.keySet());
            expectedRemoved.removeAll(pass.keySet());

            assertThat(feed.moving()).as(replay + ", round " + round + ": moving").containsExactlyElementsOf(withNext);
            Set<PartitionId> looked = new TreeSet<>();
            feed.takeChangedAndMoving().forEach(versioned -> looked.add(versioned.placement().partition()));
            assertThat(looked).as(replay + ", round " + round + ": changed and moving").isEqualTo(expectedLooked);
            assertThat(new TreeSet<>(feed.takeRemoved())).as(replay + ", round " + round + ": removed").isEqualTo(expectedRemoved);
            Set<PartitionId> written = new TreeSet<>();
            feed.takeWritten().forEach(versioned -> written.add(versioned.placement().partition()));
            assertThat(written).as(replay + ", round " + round + ": written").isEqualTo(writtenNow);
            Set<PartitionId> expectedTouched = new TreeSet<>(expectedRemoved);
            pass.forEach((partition, versioned) -> {
                if (previous.get(partition) != versioned) {
                    expectedTouched.add(partition);
                }
            });
            assertThat(new TreeSet<>(cursor.take())).as(replay + ", round " + round + ": a cursor's changed or gone").isEqualTo(expectedTouched);
            assertThat(feed.placements()).as(replay + ", round " + round + ": the feed's copy").isEqualTo(pass);
            previous.clear();
            previous.putAll(pass);
            placements = pass;
        }
    }

    private static VersionedPlacement stable(int p, Random random, long version) {
        List<NodeId> members = members(random, 3);
        return new VersionedPlacement(Placement.stable(PartitionId.of(p), members, members.getFirst(), Version.MIN), version);
    }

    private static VersionedPlacement moving(VersionedPlacement before, Random random) {
        Placement placement = before.placement();
        List<NodeId> next = members(random, placement.current().size());
        if (Set.copyOf(next).equals(Set.copyOf(placement.current()))) {
            return new VersionedPlacement(placement, before.version() + 1);
        }
        return new VersionedPlacement(placement.withNext(next, Version.MIN, Instant.parse("2026-11-29T12:00:00Z")), before.version() + 1);
    }

    private static List<NodeId> members(Random random, int count) {
        Set<NodeId> chosen = new java.util.LinkedHashSet<>();
        while (chosen.size() < count) {
            chosen.add(NodeId.of(1 + random.nextInt(9)));
        }
        return List.copyOf(chosen);
    }
}
