package dev.sluice.controller;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.raft.TransferRate;
import dev.sluice.scheduler.Move;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TransferEstimateTest {

    static final long MIB = 1024 * 1024;
    static final NodeId OLD = NodeId.of(1);
    static final NodeId A = NodeId.of(2);
    static final NodeId B = NodeId.of(3);

    private static Move move(int partition, NodeId to) {
        return new Move(PartitionId.of(partition), OLD, to);
    }

    private final List<Move> moves = List.of(move(0, A), move(1, A), move(2, B), move(3, B));
    private final Map<PartitionId, Long> sizes = Map.of(PartitionId.of(0), 30 * MIB, PartitionId.of(1), 30 * MIB, PartitionId.of(2), 10 * MIB);

    @Test
    void withoutALimitTheWavesDecide() {
        TransferEstimate estimate = TransferEstimate.of(8, moves, sizes, TransferRate.UNLIMITED);
        assertThat(estimate.etaSeconds()).isEqualTo(8);
        assertThat(estimate.bytes()).isEqualTo(70 * MIB);
        assertThat(estimate.busiestReceiverBytes()).as("A takes in partitions 0 and 1").isEqualTo(60 * MIB);
        assertThat(estimate.unknownSizes()).as("partition 3 reported no size").isEqualTo(1);
    }

    @Test
    void underALimitTheBusiestReceiverDecidesWhenItNeedsLonger() {
        assertThat(TransferEstimate.of(8, moves, sizes, 4 * MIB).etaSeconds()).as("60 MiB into A at 4 MiB/s").isEqualTo(15);
        assertThat(TransferEstimate.of(8, moves, sizes, 7 * MIB).etaSeconds()).as("rounded up: 60/7 = 8.6").isEqualTo(9);
        assertThat(TransferEstimate.of(8, moves, sizes, 64 * MIB).etaSeconds()).as("the waves take longer").isEqualTo(8);
        assertThat(TransferEstimate.of(0, List.of(), sizes, 4 * MIB).etaSeconds()).as("nothing moves").isZero();
    }
}
