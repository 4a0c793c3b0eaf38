package dev.sluice.raft;

import dev.sluice.wire.ReplicaRole;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;

/** The one reading of a Ratis division's role as a {@link ReplicaRole}, shared by the worker's status and the admin client. */
public final class ReplicaRoles {

    private ReplicaRoles() {}

    /**
     * @param inConfiguration whether the group's configuration (current or previous) names the division's
     *     own peer; a division it does not name is {@link ReplicaRole#STAGING} whatever Ratis calls it
     */
    public static ReplicaRole of(RaftPeerRole role, boolean inConfiguration) {
        if (!inConfiguration) {
            return ReplicaRole.STAGING;
        }
        return switch (role) {
            case LEADER -> ReplicaRole.LEADER;
            case CANDIDATE -> ReplicaRole.CANDIDATE;
            case LISTENER -> ReplicaRole.LISTENER;
            case FOLLOWER, UNRECOGNIZED -> ReplicaRole.FOLLOWER;
        };
    }
}
