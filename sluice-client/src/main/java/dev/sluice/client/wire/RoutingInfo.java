package dev.sluice.client.wire;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.model.WorkerState;
import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * The answer of {@code GET /data/v1/routing}: the partition table (so a client hashes keys itself) and,
 * per partition, the nodes that host it and a hint of which one leads. The hint is what the answering
 * node knows: exact for partitions it hosts, the controller's last recorded leader for the others. A
 * client treats it as a first guess and follows {@code 421} redirects from there.
 *
 * @param nodesVersion the nodes-configuration version the answer was built from
 */
public record RoutingInfo(PartitionTable table, List<PartitionRoute> partitions, long nodesVersion) {

    @JsonCreator
    public RoutingInfo(
            @JsonProperty("table") PartitionTable table,
            @JsonProperty("partitions") List<PartitionRoute> partitions,
            @JsonProperty("nodesVersion") long nodesVersion) {
        this.table = Objects.requireNonNull(table, "table");
        this.partitions = partitions == null ? List.of() : List.copyOf(partitions);
        this.nodesVersion = nodesVersion;
    }

    /** Where one partition lives. {@code leader} is a hint and may be {@code null}. */
    public record PartitionRoute(PartitionId partition, List<Member> members, NodeId leader) {
        @JsonCreator
        public PartitionRoute(
                @JsonProperty("partition") PartitionId partition,
                @JsonProperty("members") List<Member> members,
                @JsonProperty("leader") NodeId leader) {
            this.partition = Objects.requireNonNull(partition, "partition");
            this.members = members == null ? List.of() : List.copyOf(members);
            this.leader = leader;
        }
    }

    /**
     * A node hosting a replica, with the URL its data API answers on and its worker state; only members
     * whose state serves traffic are routed to first.
     */
    public record Member(NodeId node, URI url, WorkerState state) {
        @JsonCreator
        public Member(@JsonProperty("node") NodeId node, @JsonProperty("url") URI url, @JsonProperty("state") WorkerState state) {
            this.node = Objects.requireNonNull(node, "node");
            this.url = Objects.requireNonNull(url, "url");
            this.state = Objects.requireNonNull(state, "state");
        }
    }
}
