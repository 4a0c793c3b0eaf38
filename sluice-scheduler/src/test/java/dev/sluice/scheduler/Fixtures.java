package dev.sluice.scheduler;

import dev.sluice.model.Actor;
import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.Liveness;
import dev.sluice.model.Location;
import dev.sluice.model.Maintenance;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.Placement;
import dev.sluice.model.ReplicationProperty;
import dev.sluice.model.Role;
import dev.sluice.model.StateChange;
import dev.sluice.model.Version;
import dev.sluice.model.WorkerState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Builds scheduler inputs for tests: workers, placements, and a simulator that completes plans. */
final class Fixtures {

    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");

    private Fixtures() {}

    static NodeId n(int id) {
        return NodeId.of(id);
    }

    static PartitionId p(int id) {
        return PartitionId.of(id);
    }

    static List<NodeId> nodes(int... ids) {
        return Arrays.stream(ids).mapToObj(NodeId::of).toList();
    }

    static NodeConfig worker(int id, String location, WorkerState state) {
        return new NodeConfig("worker-" + id, new GenerationalNodeId(NodeId.of(id), 1),
                NodeAddresses.of("127.0.0.1:" + (9000 + id), "http://127.0.0.1:" + (8000 + id)), Set.of(Role.WORKER),
                Location.parse(location), state, new StateChange(NOW.minusSeconds(3600), Actor.OPERATOR, "test", Version.MIN, ""), "inc-" + id, null);
    }

    static NodeConfig admin(int id) {
        return new NodeConfig("admin-" + id, new GenerationalNodeId(NodeId.of(id), 1),
                NodeAddresses.of("127.0.0.1:" + (9000 + id), "http://127.0.0.1:" + (8000 + id)), Set.of(Role.ADMIN),
                Location.DEFAULT, WorkerState.ACTIVE, new StateChange(NOW.minusSeconds(3600), Actor.OPERATOR, "test", Version.MIN, ""), "inc-" + id, null);
    }

    /** A mutable cluster description that produces immutable inputs. */
    static final class Cluster {
        final Map<NodeId, NodeConfig> nodes = new TreeMap<>();
        final Set<NodeId> dead = new HashSet<>();
        final Map<NodeId, Instant> deadSince = new HashMap<>();
        PartitionTable table;
        Map<PartitionId, Placement> placements = new HashMap<>();
        SchedulerLimits limits = SchedulerLimits.DEFAULTS;
        Instant now = NOW;

        Cluster(int partitions, int replicas, int minZones) {
            table = new PartitionTable(partitions, new ReplicationProperty(replicas, minZones));
        }

        Cluster worker(int id, String location, WorkerState state) {
            nodes.put(n(id), Fixtures.worker(id, location, state));
            return this;
        }

        Cluster workers(int from, int to, String location) {
            for (int id = from; id <= to; id++) {
                worker(id, location, WorkerState.ACTIVE);
            }
            return this;
        }

        Cluster state(int id, WorkerState state) {
            NodeConfig node = nodes.get(n(id));
            nodes.put(n(id), node.withWorkerState(state, node.lastStateChange()));
            return this;
        }

        /** Puts worker {@code id} in maintenance from {@code since} until {@code until}, begun at generation 1. */
        Cluster maintenance(int id, Instant since, Instant until) {
            NodeConfig node = nodes.get(n(id));
            nodes.put(n(id), node.withMaintenance(new Maintenance("test", Actor.OPERATOR, since, until, 1, "m-" + id, null)));
            return this;
        }

        /** Ends worker {@code id}'s maintenance at {@code at}. */
        Cluster endMaintenance(int id, Instant at) {
            NodeConfig node = nodes.get(n(id));
            nodes.put(n(id), node.withMaintenance(node.maintenance().ended(at, Maintenance.EndCause.ENDED_BY_OPERATOR, Actor.OPERATOR)));
            return this;
        }

        /** Cordons worker {@code id}: it keeps what it holds and receives nothing new. */
        Cluster cordon(int id) {
            NodeConfig node = nodes.get(n(id));
            nodes.put(n(id), node.withCordon(new dev.sluice.model.Cordon("test", Actor.OPERATOR, now, "c-" + id, null)));
            return this;
        }

        /** Replaces worker {@code old} by worker {@code by}: {@code old} drains with the replacement recorded, as the model's replace writes it. */
        Cluster replace(int old, int by) {
            NodeConfig node = nodes.get(n(old));
            nodes.put(n(old), node.withWorkerState(WorkerState.DRAINING, node.lastStateChange())
                    .withReplacement(new dev.sluice.model.Replacement(n(by), "test", Actor.OPERATOR, now, "r-" + old, null)));
            return this;
        }

        /** Ends a replace as the controller does: the replaced worker is disabled and the replacement cleared. */
        Cluster finishReplace(int old) {
            NodeConfig node = nodes.get(n(old));
            nodes.put(n(old), node.withWorkerState(WorkerState.DISABLED, node.lastStateChange()).withReplacement(null));
            return this;
        }

        Cluster uncordon(int id) {
            nodes.put(n(id), nodes.get(n(id)).withCordon(null));
            return this;
        }

        Cluster dead(int id, Instant since) {
            dead.add(n(id));
            deadSince.put(n(id), since);
            return this;
        }

        Cluster alive(int id) {
            dead.remove(n(id));
            deadSince.remove(n(id));
            return this;
        }

        Cluster place(int partition, int leader, int... members) {
            placements.put(p(partition), Placement.stable(p(partition), nodes(members), leader == 0 ? null : n(leader), Version.MIN));
            return this;
        }

        Cluster placeInFlight(int partition, int leader, int[] current, int[] next) {
            placements.put(p(partition), new Placement(p(partition), nodes(current), nodes(next), leader == 0 ? null : n(leader),
                    PartitionPolicy.DEFAULT, Version.MIN, NOW.minusSeconds(5)));
            return this;
        }

        Cluster policy(int partition, PartitionPolicy policy) {
            placements.put(p(partition), placements.get(p(partition)).withPolicy(policy));
            return this;
        }

        Cluster limits(SchedulerLimits newLimits) {
            limits = newLimits;
            return this;
        }

        SchedulerInput input() {
            NodesConfiguration config = new NodesConfiguration(Version.MIN, new ArrayList<>(nodes.values()), List.of());
            Set<NodeId> alive = new HashSet<>(nodes.keySet());
            alive.removeAll(dead);
            Map<NodeId, Instant> since = new HashMap<>();
            for (NodeId id : dead) {
                since.put(id, deadSince.getOrDefault(id, now));
            }
            return new SchedulerInput(config, Liveness.of(alive, since, NOW.minusSeconds(7200)), table, placements, limits, now);
        }

        Plan schedule() {
            return Scheduler.schedule(input());
        }

        /** Takes every change of {@code plan} as completed. */
        Cluster apply(Plan plan) {
            for (ReplicaSetChange change : plan.replicaSetChanges()) {
                Placement before = placements.get(change.partition());
                PartitionPolicy policy = before == null ? PartitionPolicy.DEFAULT : before.policy();
                placements.put(change.partition(), new Placement(change.partition(), change.next(), List.of(), change.preferredLeader(),
                        policy, Version.MIN, null));
            }
            for (LeadershipChange change : plan.leadershipChanges()) {
                placements.put(change.partition(), placements.get(change.partition()).withLeader(change.to()));
            }
            return this;
        }

        /** Runs passes, completing each, until one changes nothing; returns every plan. */
        List<Plan> converge(int maxPasses) {
            List<Plan> plans = new ArrayList<>();
            for (int pass = 0; pass < maxPasses; pass++) {
                Plan plan = schedule();
                plans.add(plan);
                if (plan.hasNoChanges()) {
                    return plans;
                }
                apply(plan);
            }
            throw new AssertionError("no fixpoint after " + maxPasses + " passes; last plan: " + plans.getLast());
        }

        Map<NodeId, Integer> replicasPerNode() {
            Map<NodeId, Integer> count = new TreeMap<>();
            for (Placement placement : placements.values()) {
                for (NodeId member : placement.current()) {
                    count.merge(member, 1, Integer::sum);
                }
            }
            return count;
        }

        Map<NodeId, Integer> leadersPerNode() {
            Map<NodeId, Integer> count = new TreeMap<>();
            for (Placement placement : placements.values()) {
                if (placement.leader() != null) {
                    count.merge(placement.leader(), 1, Integer::sum);
                }
            }
            return count;
        }

        Location location(NodeId id) {
            return nodes.get(id).location();
        }
    }

    static int moveCount(List<Plan> plans) {
        int moves = 0;
        for (Plan plan : plans) {
            for (ReplicaSetChange change : plan.replicaSetChanges()) {
                moves += Math.max(change.joining().size(), change.leaving().size());
            }
        }
        return moves;
    }

    static int leaderChangeCount(List<Plan> plans) {
        int changes = 0;
        for (Plan plan : plans) {
            changes += plan.leadershipChanges().size();
        }
        return changes;
    }
}
