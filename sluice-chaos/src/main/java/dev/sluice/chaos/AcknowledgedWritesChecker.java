package dev.sluice.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks that every acknowledged write is still readable at the end: for each key, the value the final
 * read returned must come from a write that no acknowledged write followed. A write is lost when the
 * final read returns nothing although a write was acknowledged, or returns a value whose write had
 * completed before an acknowledged write of the key was even invoked (that later write then vanished).
 * A final value from a write of unknown outcome is never proof of a loss: it may have taken effect last.
 */
public final class AcknowledgedWritesChecker {

    /** One lost write: the key, what the final read saw, and the acknowledged write that is gone. */
    public record Loss(String key, Op finalRead, Op lost, String explanation) {
        public List<String> describe() {
            return List.of("key " + key + ": acknowledged write lost: " + explanation, "    " + lost.describe(), "    " + finalRead.describe());
        }
    }

    private AcknowledgedWritesChecker() {}

    /**
     * @param history every operation of the run (the final reads included or not)
     * @param finalReads the read of each key made after the faults healed and the writers stopped
     */
    public static List<Loss> check(List<Op> history, Map<String, Op> finalReads) {
        List<Loss> losses = new ArrayList<>();
        finalReads.forEach((key, read) -> {
            if (read.outcome() != Op.Outcome.OK || read.kind() != Op.Kind.READ) {
                throw new IllegalArgumentException("the final read of " + key + " did not succeed: " + read.describe());
            }
            List<Op> acknowledged = history.stream()
                    .filter(op -> op.key().equals(key) && op.kind() == Op.Kind.WRITE && op.outcome() == Op.Outcome.OK).toList();
            if (read.value() == null) {
                acknowledged.stream().findFirst().ifPresent(lost -> losses.add(new Loss(key, read, lost,
                        "the final read found no value although " + acknowledged.size() + " writes were acknowledged")));
                return;
            }
            Optional<Op> writer = history.stream()
                    .filter(op -> op.key().equals(key) && op.kind() == Op.Kind.WRITE && op.value().equals(read.value())).findFirst();
            if (writer.isEmpty()) {
                acknowledged.stream().findFirst().ifPresent(lost -> losses.add(new Loss(key, read, lost,
                        "the final read returned " + read.value() + ", which no write wrote")));
                return;
            }
            if (writer.get().outcome() == Op.Outcome.UNKNOWN) {
                return;
            }
            long writtenBy = writer.get().completeNanos();
            acknowledged.stream()
                    .filter(later -> later.invokeNanos() > writtenBy)
                    .reduce((first, second) -> second)
                    .ifPresent(lost -> losses.add(new Loss(key, read, lost, "the final read returned " + read.value()
                            + ", written before the acknowledged write of " + lost.value() + " began")));
        });
        return List.copyOf(losses);
    }
}
