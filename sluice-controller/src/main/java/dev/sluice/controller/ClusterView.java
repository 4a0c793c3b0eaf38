package dev.sluice.controller;

import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.NodesConfigurationStore;
import dev.sluice.metadata.PlacementCopy;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.metadata.Watch;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodeIdSet;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What a control-loop pass reads of the metadata store: the nodes configuration, the partition table,
 * every placement and who is alive. {@link #readThrough} reads everything again for every pass (simple,
 * deterministic, for tests and simulation); {@link #watching} keeps a copy current through watches, so a
 * pass reads nothing from the store — a pass that reads every placement costs dozens of round trips, and
 * under load that made each pass take hundreds of milliseconds.
 */
interface ClusterView extends AutoCloseable {

    NodesConfigurationStore.Snapshot nodes();

    Optional<PartitionTable> table();

    /** Every placement, by partition: a copy the caller may change. */
    Map<PartitionId, VersionedPlacement> placements();

    /**
     * The placements that may have changed since the last call, for a pass that keeps its own copy (its
     * {@link PlacementFeed}): every placement on the first call and after the view read everything again, else only
     * those it was told of. A copy of every placement each pass was a large part of a pass at a million partitions.
     */
    PlacementChanges placementChanges();

    /**
     * @param complete whether {@code placements} holds every placement (a partition missing from it is gone)
     * @param placements records that may be new, by partition order when complete
     * @param removed partitions whose placement went (only when not complete)
     */
    record PlacementChanges(boolean complete, java.util.Collection<VersionedPlacement> placements, Set<PartitionId> removed) {}

    Set<NodeId> alive();

    /** The controller wrote this placement (it is the only writer of placements). */
    void written(VersionedPlacement placement);

    /** Called at the start of every pass; a view may use it to catch up with anything it missed. */
    default void beforePass() {}

    @Override
    default void close() {}

    static ClusterView readThrough(ClusterMetadata metadata) {
        return new ClusterView() {
            @Override
            public NodesConfigurationStore.Snapshot nodes() {
                return metadata.nodes().read();
            }

            @Override
            public Optional<PartitionTable> table() {
                return metadata.partitionTable().read();
            }

            @Override
            public Map<PartitionId, VersionedPlacement> placements() {
                return new TreeMap<>(metadata.placements().readAll());
            }

            @Override
            public PlacementChanges placementChanges() {
                return new PlacementChanges(true, placements().values(), Set.of());
            }

            @Override
            public Set<NodeId> alive() {
                return NodeIdSet.copyOf(metadata.liveness().readAll().keySet());
            }

            @Override
            public void written(VersionedPlacement placement) {}
        };
    }

    /**
     * A view kept current by watches; {@code changed} runs after every change it learns of. After a missed
     * notification (a reconnect) it reads everything again.
     */
    static ClusterView watching(ClusterMetadata metadata, Runnable changed) {
        return new Watching(metadata, changed);
    }

    /**
     * The watched copy. Newer versions win, so a late notification never undoes a newer write, and a full
     * read never undoes a notification that crossed it (see {@link PlacementCopy}). The placements come from the
     * watch's first load alone (it reads every record once, in batched requests); reading them before the
     * watch as well doubled a new controller's load. As a safety net against a notification lost without a
     * reconnect, everything is read again every {@link #FULL_RELOAD_INTERVAL}, or less often when a read takes
     * long: a full read of a million placements took 25 s on the bench machine, and it runs on the pass thread, so reads
     * never take more than a {@link #FULL_RELOAD_SHARE_MAX} share of it.
     */
    final class Watching implements ClusterView {
        static final java.time.Duration FULL_RELOAD_INTERVAL = java.time.Duration.ofSeconds(30);
        /** Reads every {@code 1 / share} times as long as the last one took at the most. */
        static final double FULL_RELOAD_SHARE_MAX = 0.1;
        /**
         * How long a new view waits for the placement watch's first load. A million placements loaded in
         * 23 s on the 2-core bench machine (docs/benchmarks.md, "Metadata at size"); past the limit the
         * term fails and the controller starts it again.
         */
        static final java.time.Duration FIRST_LOAD_MAX = java.time.Duration.ofMinutes(10);
        private volatile long reloadedAtNanos;
        private volatile long reloadIntervalNanos = FULL_RELOAD_INTERVAL.toNanos();
        private final ClusterMetadata metadata;
        private final Runnable changed;
        private final List<Watch> watches = new ArrayList<>();
        private final AtomicReference<NodesConfigurationStore.Snapshot> nodes = new AtomicReference<>();
        private volatile PartitionTable table;
        private final PlacementCopy placements = new PlacementCopy();
        /** Partitions notified or written since {@link #placementChanges} last handed changes over; guarded by itself. */
        private final Set<PartitionId> changedSinceHanded = new HashSet<>();
        /** Whether the next {@link #placementChanges} hands over every placement; guarded by {@link #changedSinceHanded}. */
        private boolean handEverything = true;
        /** Guarded by itself. */
        private final NodeIdSet alive = new NodeIdSet();
        /** Liveness notifications applied so far; guarded by {@code alive}. */
        private long livenessNotifications;

        Watching(ClusterMetadata metadata, Runnable changed) {
            this.metadata = metadata;
            this.changed = changed;
            try {
                reloadReadingPlacements(false);
                java.util.concurrent.CountDownLatch placementsLoaded = new java.util.concurrent.CountDownLatch(1);
                watches.add(metadata.nodes().watch(snapshot -> {
                    keepNewer(snapshot);
                    changed.run();
                }));
                watches.add(metadata.placements().watch((partition, placement) -> {
                    placements.onNotification(partition, placement);
                    synchronized (changedSinceHanded) {
                        changedSinceHanded.add(partition);
                    }
                    changed.run();
                }, () -> {
                    placementsLoaded.countDown();
                    changed.run();
                }, () -> {
                    reload();
                    changed.run();
                }));
                watches.add(metadata.liveness().watch(node -> {
                    boolean present = metadata.liveness().read(node).isPresent();
                    synchronized (alive) {
                        livenessNotifications++;
                        if (present) {
                            alive.add(node);
                        } else {
                            alive.remove(node);
                        }
                    }
                    changed.run();
                }, () -> {
                    reload();
                    changed.run();
                }));
                if (!placementsLoaded.await(FIRST_LOAD_MAX.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    throw new dev.sluice.metadata.MetadataUnavailableException("the placements were not loaded within " + FIRST_LOAD_MAX, null);
                }
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                close();
                throw new dev.sluice.metadata.MetadataUnavailableException("interrupted while loading the placements", interrupted);
            } catch (RuntimeException failed) {
                close();
                throw failed;
            }
        }

        @Override
        public void beforePass() {
            if (System.nanoTime() - reloadedAtNanos > reloadIntervalNanos) {
                reload();
            }
        }

        /** Reads everything again; whatever a notification applied while it read stays (it is newer). */
        private void reload() {
            reloadReadingPlacements(true);
        }

        private synchronized void reloadReadingPlacements(boolean withPlacements) {
            long started = System.nanoTime();
            keepNewer(metadata.nodes().read());
            table = metadata.partitionTable().read().orElse(null);
            if (withPlacements) {
                placements.reload(metadata.placements()::readAll);
                // What the read changed is not told partition by partition: the next pass takes everything again.
                synchronized (changedSinceHanded) {
                    handEverything = true;
                }
            }
            long before;
            synchronized (alive) {
                before = livenessNotifications;
            }
            Set<NodeId> running = new HashSet<>(metadata.liveness().readAll().keySet());
            synchronized (alive) {
                if (livenessNotifications == before) {
                    alive.retainAll(running);
                    alive.addAll(running);
                }
            }
            reloadedAtNanos = System.nanoTime();
            reloadIntervalNanos = Math.max(FULL_RELOAD_INTERVAL.toNanos(), (long) ((reloadedAtNanos - started) / FULL_RELOAD_SHARE_MAX));
        }

        private void keepNewer(NodesConfigurationStore.Snapshot snapshot) {
            nodes.accumulateAndGet(snapshot, (held, offered) -> held == null || offered.storeVersion() > held.storeVersion() ? offered : held);
        }

        @Override
        public NodesConfigurationStore.Snapshot nodes() {
            return nodes.get();
        }

        @Override
        public Optional<PartitionTable> table() {
            if (table == null) {
                table = metadata.partitionTable().read().orElse(null);
            }
            return Optional.ofNullable(table);
        }

        @Override
        public Map<PartitionId, VersionedPlacement> placements() {
            return placements.snapshot();
        }

        @Override
        public PlacementChanges placementChanges() {
            Set<PartitionId> partitions;
            synchronized (changedSinceHanded) {
                if (handEverything) {
                    handEverything = false;
                    changedSinceHanded.clear();
                    partitions = null;
                } else {
                    partitions = Set.copyOf(changedSinceHanded);
                    changedSinceHanded.clear();
                }
            }
            if (partitions == null) {
                return new PlacementChanges(true, placements.snapshot().values(), Set.of());
            }
            List<VersionedPlacement> records = new ArrayList<>();
            Set<PartitionId> removed = new HashSet<>();
            for (PartitionId partition : partitions) {
                placements.record(partition).ifPresentOrElse(records::add, () -> removed.add(partition));
            }
            return new PlacementChanges(false, records, removed);
        }

        @Override
        public Set<NodeId> alive() {
            synchronized (alive) {
                return NodeIdSet.copyOf(alive);
            }
        }

        @Override
        public void written(VersionedPlacement placement) {
            placements.written(placement);
        }

        @Override
        public void close() {
            watches.forEach(Watch::close);
            watches.clear();
        }
    }
}
