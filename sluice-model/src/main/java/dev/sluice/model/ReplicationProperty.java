package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How many replicas every partition has and over how many zones they must spread at least.
 * {@code minZones == 1} asks for no spread.
 */
public record ReplicationProperty(int replicas, int minZones) {

    public static final int MAX_REPLICAS = 9;

    @JsonCreator
    public ReplicationProperty(@JsonProperty("replicas") int replicas, @JsonProperty("minZones") int minZones) {
        if (replicas < 1 || replicas > MAX_REPLICAS) {
            throw new IllegalArgumentException("replicas must be between 1 and " + MAX_REPLICAS + ", got " + replicas);
        }
        if (minZones < 1 || minZones > replicas) {
            throw new IllegalArgumentException("minZones must be between 1 and the replica count " + replicas + ", got " + minZones);
        }
        this.replicas = replicas;
        this.minZones = minZones;
    }

    public static ReplicationProperty of(int replicas) {
        return new ReplicationProperty(replicas, 1);
    }

    /** The number of replicas a majority needs: the quorum size of a Raft group of this size. */
    public int quorum() {
        return replicas / 2 + 1;
    }

    @Override
    public String toString() {
        return minZones == 1 ? replicas + " replicas" : replicas + " replicas in at least " + minZones + " zones";
    }
}
