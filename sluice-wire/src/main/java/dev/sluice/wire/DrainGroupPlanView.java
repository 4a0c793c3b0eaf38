package dev.sluice.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.sluice.model.BlockingPartition;
import dev.sluice.model.NodeId;
import java.util.List;
import java.util.Map;

/**
 * The answer to a group drain's dry-run ({@code POST /api/v1/drains} with {@code "dryRun": true}), and the plan
 * attached to a refused one: the combined pre-check of the set, the moves, and the waves the throttles make. A large
 * set lists the first moves, leadership changes and waves and counts them all: a zone of a large cluster has a million
 * moves.
 *
 * @param dryRun {@code true} for a dry-run
 * @param allowed whether the combined pre-check passes now
 * @param blocking the partitions that block draining the set together
 * @param members each worker with what it holds and what the pre-check says of draining it alone
 * @param moves how many replica moves the drain makes
 * @param plannedMoves the first of them (at most 1,000)
 * @param leadershipChanges the first leadership changes (at most 1,000)
 * @param waves the moves grouped in the waves the throttles allow at once (one wave: all at once), the first 64 listed
 * @param leftOut workers of the zone a zone drain leaves out because they are not active
 * @param replicasPerWorker replicas each remaining eligible worker would hold, by id
 * @param etaSeconds the plan's estimated time: waves × the measured time of one move, or, when longer, the time the
 *     busiest receiving worker needs to take in its replicas' data under the catch-up transfer limit
 * @param transfer the data the moves copy, and the limit counted with
 * @param waveCount how many waves there are in all (at least, when more than are listed); 0 from a server before it
 * @param leadershipChangeCount how many leadership changes the drain makes; 0 from a server before it (then count the list)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DrainGroupPlanView(
        boolean dryRun,
        boolean allowed,
        String zone,
        List<Member> members,
        List<BlockingPartition> blocking,
        int moves,
        List<MoveView> plannedMoves,
        List<LeadershipChangeView> leadershipChanges,
        List<Wave> waves,
        List<String> leftOut,
        Map<String, Integer> replicasPerWorker,
        int maxChangesPerNode,
        int maxChangesInCluster,
        long etaSeconds,
        TransferView transfer,
        int waveCount,
        int leadershipChangeCount) {

    public DrainGroupPlanView {
        members = Lists.copyOrEmpty(members);
        blocking = Lists.copyOrEmpty(blocking);
        plannedMoves = Lists.copyOrEmpty(plannedMoves);
        leadershipChanges = Lists.copyOrEmpty(leadershipChanges);
        waves = Lists.copyOrEmpty(waves);
        leftOut = Lists.copyOrEmpty(leftOut);
        replicasPerWorker = replicasPerWorker == null ? Map.of() : Map.copyOf(replicasPerWorker);
    }

    /** How many waves there are in all, also as a server before {@code waveCount} said. */
    public int wavesInAll() {
        return Math.max(waveCount, waves.size());
    }

    /** How many leadership changes there are in all, also as a server before {@code leadershipChangeCount} said. */
    public int leadershipChangesInAll() {
        return Math.max(leadershipChangeCount, leadershipChanges.size());
    }

    /** One worker of the set: replicas and leaderships it holds, and the partitions that would block draining it alone (usually none). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Member(NodeId node, String name, String location, int replicas, int leads, List<BlockingPartition> blockingAlone) {
        public Member {
            blockingAlone = Lists.copyOrEmpty(blockingAlone);
        }

        public String label() {
            return node + " (" + name + ")";
        }
    }

    /** One wave: its number (from 1) and its moves. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Wave(int number, List<MoveView> moves) {
        public Wave {
            moves = Lists.copyOrEmpty(moves);
        }
    }
}
