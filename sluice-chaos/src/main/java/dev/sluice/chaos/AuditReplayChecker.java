package dev.sluice.chaos;

import dev.sluice.model.GenerationalNodeId;
import dev.sluice.model.WorkerState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks the promise that the audit log replays to the nodes' final states: starting from each node's first
 * registration ({@code provisioning}), applying every recorded transition in log order must pass through
 * exactly the states the records name (each record's {@code from} is the state the replay has reached) and
 * end in the state the admin API reports for the node. A log that no longer reaches back to a node's first
 * registration (the event log is trimmed) cannot replay that node, which is reported, not counted as a
 * mismatch. Pure: the harness reads the logs and the states, this decides.
 */
final class AuditReplayChecker {

    private AuditReplayChecker() {}

    /** One log entry, reduced to what the replay needs; {@code node} is the plain id ({@code N3}). */
    sealed interface Entry {
        long sequence();

        String node();

        /** The node registered; generation {@link GenerationalNodeId#FIRST_GENERATION} is its birth, in {@code provisioning}. */
        record Registered(long sequence, String node, int generation) implements Entry {}

        /**
         * An applied transition.
         *
         * @param version the nodes-configuration version it produced; commits are ordered, so it grows along the log
         */
        record Transitioned(long sequence, String node, WorkerState from, WorkerState to, long version, String describe) implements Entry {}
    }

    /**
     * What the replay found.
     *
     * @param replayed nodes whose whole history the log holds, replayed and compared
     * @param unverifiable nodes the log does not reach back far enough to replay, with why
     * @param mismatches every way the log and the final states disagree: each is an anomaly
     */
    record Result(String source, int entries, List<String> replayed, List<String> unverifiable, List<String> mismatches) {
        boolean ok() {
            return mismatches.isEmpty();
        }

        String describe() {
            return source + ": " + entries + " entries, " + replayed.size() + " node(s) replayed to their reported state"
                    + (mismatches.isEmpty() ? "" : ", " + mismatches.size() + " MISMATCH(ES)")
                    + (unverifiable.isEmpty() ? "" : "; not replayable: " + String.join("; ", unverifiable));
        }
    }

    /**
     * @param source what the log is, for the report ({@code "event log (GET /api/v1/events)"})
     * @param log the entries, in any order (they are replayed by sequence)
     * @param completeFromStart whether the log holds every transition since the cluster began (the audit log,
     *     never trimmed): then a node without a registration entry still starts in {@code provisioning}
     * @param finalStates each node's state as the admin API reports it at the end, by plain id
     */
    static Result check(String source, List<? extends Entry> log, boolean completeFromStart, Map<String, WorkerState> finalStates) {
        List<Entry> ordered = new ArrayList<>(log);
        ordered.sort(Comparator.comparingLong(Entry::sequence));
        Map<String, WorkerState> replay = new TreeMap<>();
        Map<String, String> unverifiable = new TreeMap<>();
        List<String> mismatches = new ArrayList<>();
        long lastVersion = Long.MIN_VALUE;
        if (completeFromStart) {
            finalStates.keySet().forEach(node -> replay.put(node, WorkerState.PROVISIONING));
        }
        for (Entry entry : ordered) {
            String node = entry.node();
            switch (entry) {
                case Entry.Registered registered -> {
                    if (registered.generation() == GenerationalNodeId.FIRST_GENERATION) {
                        if (replay.containsKey(node) && !completeFromStart) {
                            mismatches.add("#" + registered.sequence() + ": " + node + " registered as a new node a second time");
                        }
                        replay.put(node, WorkerState.PROVISIONING);
                        unverifiable.remove(node);
                    }
                }
                case Entry.Transitioned transitioned -> {
                    // A group drain (or its cancel) writes its members' transitions in one version, so versions may repeat.
                    if (transitioned.version() < lastVersion) {
                        mismatches.add("#" + transitioned.sequence() + ": " + transitioned.describe() + " produced version " + transitioned.version()
                                + ", not after the previous transition's " + lastVersion + ": the log is not in commit order");
                    }
                    lastVersion = Math.max(lastVersion, transitioned.version());
                    WorkerState before = replay.get(node);
                    if (before == null && completeFromStart) {
                        before = WorkerState.PROVISIONING;
                    }
                    if (before == null) {
                        unverifiable.putIfAbsent(node, node + ": its first transition in the log (#" + transitioned.sequence()
                                + ") comes before any registration it holds; the log was trimmed");
                        continue;
                    }
                    if (before != transitioned.from()) {
                        mismatches.add("#" + transitioned.sequence() + ": " + transitioned.describe() + ", but the replay had " + node + " "
                                + before.wireName() + ": a transition is missing from the log or out of order");
                    }
                    replay.put(node, transitioned.to());
                }
            }
        }
        List<String> replayed = new ArrayList<>();
        for (Map.Entry<String, WorkerState> reported : new TreeMap<>(finalStates).entrySet()) {
            String node = reported.getKey();
            WorkerState replayedState = replay.get(node);
            if (unverifiable.containsKey(node)) {
                continue;
            }
            if (replayedState == null) {
                unverifiable.put(node, node + ": the log holds none of its history");
                continue;
            }
            if (replayedState != reported.getValue()) {
                mismatches.add(node + " replays to " + replayedState.wireName() + " but the admin API reports it " + reported.getValue().wireName());
            } else {
                replayed.add(node);
            }
        }
        for (String node : replay.keySet()) {
            if (!finalStates.containsKey(node)) {
                mismatches.add(node + " is in the log but the admin API does not list it");
            }
        }
        return new Result(source, ordered.size(), List.copyOf(replayed), List.copyOf(unverifiable.values()), List.copyOf(mismatches));
    }
}
