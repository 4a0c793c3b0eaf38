package dev.sluice.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.helix.controller.dataproviders.ResourceControllerDataProvider;
import org.apache.helix.controller.rebalancer.strategy.AutoRebalanceStrategy;
import org.apache.helix.controller.rebalancer.strategy.CrushEdRebalanceStrategy;
import org.apache.helix.controller.rebalancer.strategy.RebalanceStrategy;
import org.apache.helix.model.BuiltInStateModelDefinitions;
import org.apache.helix.model.ClusterConfig;
import org.apache.helix.model.IdealState;
import org.apache.helix.model.InstanceConfig;
import org.apache.helix.model.StateModelDefinition;
import org.apache.helix.zookeeper.datamodel.ZNRecord;

/**
 * Runs Apache Helix's own placement strategies on the benchmark cluster, in process and without
 * ZooKeeper: a controller data provider that answers from memory with the cluster config (topology
 * {@code /zone/instance}, fault zone {@code zone}), one instance config per worker with its zone, and a
 * MasterSlave ideal state with 1 master + (replicas − 1) slaves. The first node of each preference list
 * is the one Helix makes master: the leader.
 */
final class HelixSide {

    static final String RESOURCE = "R";

    enum Strategy { CRUSHED, AUTO }

    private final BenchCluster cluster;
    private final ResourceControllerDataProvider provider;
    private final List<String> nodes;
    private final List<String> partitions;

    HelixSide(BenchCluster cluster) {
        this.cluster = cluster;
        this.nodes = cluster.helixNodes();
        this.partitions = cluster.helixPartitions();
        ClusterConfig clusterConfig = new ClusterConfig("bench");
        clusterConfig.setTopologyAwareEnabled(true);
        clusterConfig.setTopology("/zone/instance");
        clusterConfig.setFaultZoneType("zone");
        Map<String, InstanceConfig> instances = new HashMap<>();
        for (int i = 1; i <= cluster.workers(); i++) {
            InstanceConfig config = new InstanceConfig("w" + i);
            config.setDomain("zone=" + cluster.zoneOf(i) + ",instance=w" + i);
            config.setWeight(1000);
            instances.put("w" + i, config);
        }
        IdealState idealState = new IdealState(RESOURCE);
        idealState.setStateModelDefRef(BuiltInStateModelDefinitions.MasterSlave.name());
        idealState.setNumPartitions(cluster.partitions());
        idealState.setReplicas(Integer.toString(cluster.replicas()));
        idealState.setRebalanceMode(IdealState.RebalanceMode.FULL_AUTO);
        StateModelDefinition masterSlave = BuiltInStateModelDefinitions.MasterSlave.getStateModelDefinition();
        this.provider = new ResourceControllerDataProvider("bench") {
            @Override
            public Map<String, InstanceConfig> getAssignableInstanceConfigMap() {
                return instances;
            }

            @Override
            public Map<String, InstanceConfig> getInstanceConfigMap() {
                return instances;
            }

            @Override
            public ClusterConfig getClusterConfig() {
                return clusterConfig;
            }

            @Override
            public String getClusterEventId() {
                return "bench";
            }

            @Override
            public IdealState getIdealState(String resource) {
                return idealState;
            }

            @Override
            public StateModelDefinition getStateModelDef(String name) {
                return masterSlave;
            }
        };
    }

    private RebalanceStrategy<ResourceControllerDataProvider> strategy(Strategy which) {
        RebalanceStrategy<ResourceControllerDataProvider> strategy = switch (which) {
            case CRUSHED -> new CrushEdRebalanceStrategy();
            case AUTO -> new AutoRebalanceStrategy();
        };
        LinkedHashMap<String, Integer> states = new LinkedHashMap<>();
        states.put("MASTER", 1);
        states.put("SLAVE", cluster.replicas() - 1);
        strategy.init(RESOURCE, partitions, states, Integer.MAX_VALUE);
        return strategy;
    }

    /** Full placement from scratch: partition → preference list (leader first). */
    Map<String, List<String>> fullPlacement(Strategy which) {
        ZNRecord record = strategy(which).computePartitionAssignment(new ArrayList<>(nodes), new ArrayList<>(nodes), Map.of(), provider);
        return record.getListFields();
    }

    /** How a drained worker is taken out of Helix's computation. */
    enum Drain {
        /** Out of the live nodes only: it stays in the topology, so other partitions keep their place. */
        NOT_LIVE,
        /** Out of the assignable nodes altogether, as Helix 1.4's EVACUATE instance operation does. */
        EVACUATE
    }

    /** The assignment once worker {@code w1} is drained the given way, starting from {@code before}. */
    Map<String, List<String>> drain(Strategy which, Drain how, Map<String, List<String>> before) {
        List<String> live = new ArrayList<>(nodes);
        live.remove("w" + BenchCluster.DRAINED);
        List<String> all = how == Drain.EVACUATE ? new ArrayList<>(live) : new ArrayList<>(nodes);
        Map<String, Map<String, String>> currentMapping = new HashMap<>();
        for (Map.Entry<String, List<String>> entry : before.entrySet()) {
            Map<String, String> states = new LinkedHashMap<>();
            List<String> preference = entry.getValue();
            for (int i = 0; i < preference.size(); i++) {
                states.put(preference.get(i), i == 0 ? "MASTER" : "SLAVE");
            }
            currentMapping.put(entry.getKey(), states);
        }
        ZNRecord record = strategy(which).computePartitionAssignment(all, live, currentMapping, provider);
        return record.getListFields();
    }
}
