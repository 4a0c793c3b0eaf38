package dev.sluice.model;

import java.util.List;

/**
 * What the caller of a transition knows about the world beyond the nodes configuration: the facts the
 * transition table's guards are judged on. A fact left {@code null} is unknown, and a guard that needs it
 * refuses rather than guessing.
 *
 * @param alive whether the node's process is running, or {@code null} if unknown
 * @param drainPrecheck the scheduler's dry-run of draining the node, or {@code null} if not run
 * @param emptied what the controller saw of the node in the placements, or {@code null} if not looked
 */
public record GuardFacts(Boolean alive, DrainPrecheck drainPrecheck, EmptiedEvidence emptied) {

    public static final GuardFacts NONE = new GuardFacts(null, null, null);

    public static GuardFacts alive(boolean alive) {
        return new GuardFacts(alive, null, null);
    }

    public GuardFacts withAlive(boolean value) {
        return new GuardFacts(value, drainPrecheck, emptied);
    }

    public GuardFacts withDrainPrecheck(DrainPrecheck value) {
        return new GuardFacts(alive, value, emptied);
    }

    public GuardFacts withEmptied(EmptiedEvidence value) {
        return new GuardFacts(alive, drainPrecheck, value);
    }

    /** The scheduler's answer to "could every replica on this node move to a compliant target?". */
    public record DrainPrecheck(List<BlockingPartition> blocking) {
        public static final DrainPrecheck PASSED = new DrainPrecheck(List.of());

        public DrainPrecheck {
            blocking = List.copyOf(blocking);
        }

        public boolean passed() {
            return blocking.isEmpty();
        }
    }

    /**
     * What the controller saw: whether the node is still in some current or next replica set or leads a
     * partition, and the nodes-configuration version the placements it looked at were based on.
     *
     * @param stillHeld what the node still holds although no placement names it (the files of a group it
     *     is still removing), in one line for the refusal, or {@code null} when nothing is known to be held
     */
    public record EmptiedEvidence(int replicaSetsNamingNode, int partitionsLed, Version placementsBasedOn, String stillHeld) {

        public EmptiedEvidence(int replicaSetsNamingNode, int partitionsLed, Version placementsBasedOn) {
            this(replicaSetsNamingNode, partitionsLed, placementsBasedOn, null);
        }

        public boolean holdsNothing() {
            return replicaSetsNamingNode == 0 && partitionsLed == 0 && stillHeld == null;
        }
    }
}
