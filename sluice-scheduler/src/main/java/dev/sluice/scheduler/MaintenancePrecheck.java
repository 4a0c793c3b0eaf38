package dev.sluice.scheduler;

import dev.sluice.model.BlockingPartition;
import dev.sluice.model.NodeConfig;
import dev.sluice.model.NodeId;
import dev.sluice.model.NodesConfiguration;
import dev.sluice.model.Placement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether nodes may go into maintenance now: with them away — and every node already in maintenance or
 * dead away too — every partition must still have a live majority of its replica set (of both sets while
 * its membership changes, since Raft's joint configuration needs a majority of each). Nothing moves for a
 * maintenance, so there is no placement to find, only availability to keep.
 *
 * <p>A partition whose live replicas would all be in one zone although its set spans several is a warning,
 * not a refusal: with three replicas over two zones every worker is some partition's only replica in its
 * zone, so refusing that would forbid every maintenance, and every zone-at-a-time rollout, in the most
 * common two-zone layout. The operator sees the warning, and a zone outage during the maintenance is what it
 * warns of.
 */
public final class MaintenancePrecheck {

    /** A partition that would have fewer live replicas than a majority of its set. */
    public static final String WOULD_LOSE_MAJORITY = "would-lose-majority";
    /** A partition whose live replicas would all be in one zone, although its set spans more. */
    public static final String WOULD_LEAVE_ONE_ZONE = "would-leave-one-zone";

    private MaintenancePrecheck() {}

    /**
     * What the pre-check found.
     *
     * @param blocking partitions that would lose their majority: the maintenance is refused unless forced
     * @param warnings partitions that would be left in one zone: shown, not refused
     */
    public record Result(List<BlockingPartition> blocking, List<BlockingPartition> warnings) {
        public Result {
            blocking = List.copyOf(blocking);
            warnings = List.copyOf(warnings);
        }

        public boolean passed() {
            return blocking.isEmpty();
        }
    }

    /**
     * The partitions at risk if {@code nodes} went away now.
     *
     * @throws IllegalArgumentException if a node is not a worker of the configuration
     */
    public static Result check(SchedulerInput input, Collection<NodeId> nodes) {
        NodesConfiguration configuration = input.nodes();
        for (NodeId id : nodes) {
            if (configuration.find(id).filter(NodeConfig::isWorker).isEmpty()) {
                throw new IllegalArgumentException(id + " is not a worker of the nodes configuration " + configuration.version());
            }
        }
        Set<NodeId> away = new TreeSet<>(nodes);
        Set<NodeId> alreadyAway = new TreeSet<>();
        for (NodeConfig node : configuration.nodes()) {
            if (!input.liveness().isAlive(node.nodeId()) || node.inMaintenanceAt(input.now())) {
                alreadyAway.add(node.nodeId());
            }
        }
        away.addAll(alreadyAway);
        List<BlockingPartition> blocking = new ArrayList<>();
        List<BlockingPartition> warnings = new ArrayList<>();
        for (Placement placement : input.placements().values()) {
            if (nodes.stream().noneMatch(placement::names)) {
                continue;
            }
            List<List<NodeId>> sets = placement.hasNext() ? List.of(placement.current(), placement.next()) : List.of(placement.current());
            BlockingPartition risk = null;
            for (List<NodeId> set : sets) {
                risk = riskOf(placement, set, away, alreadyAway, configuration);
                if (risk != null) {
                    break;
                }
            }
            if (risk != null) {
                (risk.reason().equals(WOULD_LOSE_MAJORITY) ? blocking : warnings).add(risk);
            }
        }
        return new Result(blocking, warnings);
    }

    private static BlockingPartition riskOf(Placement placement, List<NodeId> set, Set<NodeId> away, Set<NodeId> alreadyAway,
            NodesConfiguration configuration) {
        if (set.isEmpty()) {
            return null;
        }
        List<NodeId> staying = set.stream().filter(member -> !away.contains(member)).toList();
        int majority = set.size() / 2 + 1;
        if (staying.size() < majority) {
            List<NodeId> othersAway = set.stream().filter(alreadyAway::contains).toList();
            return new BlockingPartition(placement.partition(), WOULD_LOSE_MAJORITY,
                    "would keep " + staying.size() + " of its " + set.size() + " replicas, fewer than the " + majority + " a majority needs, so its writes would stop"
                            + (othersAway.isEmpty() ? "" : " (" + labels(othersAway, configuration) + " already away: dead or in maintenance)"));
        }
        Set<String> zonesBefore = zones(set, configuration);
        Set<String> zonesAfter = zones(staying, configuration);
        if (zonesBefore.size() > 1 && zonesAfter.size() == 1) {
            return new BlockingPartition(placement.partition(), WOULD_LEAVE_ONE_ZONE,
                    "its live replicas would all be in zone " + zonesAfter.iterator().next() + " though its set spans " + String.join(", ", zonesBefore)
                            + ": an outage of that zone during the maintenance would stop it");
        }
        return null;
    }

    private static Set<String> zones(List<NodeId> members, NodesConfiguration configuration) {
        Set<String> zones = new TreeSet<>();
        for (NodeId member : members) {
            configuration.find(member).ifPresent(node -> zones.add(node.location().toString()));
        }
        return zones;
    }

    private static String labels(List<NodeId> nodes, NodesConfiguration configuration) {
        return String.join(", ", nodes.stream().map(configuration::label).toList());
    }
}
