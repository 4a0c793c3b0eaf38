package dev.sluice.chaos;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides whether each key's history is linearizable as a read/write register that starts empty: whether
 * every operation can be given one instant between its invocation and its completion such that, in that
 * order, every read returns the value of the write placed last before it.
 *
 * <p>Keys are independent (a register per key), so each is searched on its own. The search is Wing and
 * Gong's: walk the operations in time order, try to place each pending operation next, backtrack when an
 * operation's completion passes before it could be placed. Lowe's memoisation makes it practical: a pair
 * (set of operations placed, register value) that was explored once is never explored again, since what can
 * follow depends on nothing else.
 *
 * <p>Outcomes: an acknowledged operation must be placed. A write whose outcome is unknown may be placed
 * anywhere after its invocation, or nowhere (it never took effect); it is treated as completing at the end
 * of time. Unknown writes whose value no read returned are dropped before the search: placing such a write
 * can only hide values from later reads, never explain one, so leaving it out loses no linearization and
 * keeps the search from doubling per unknown write. Failed operations and reads without an answer carry no
 * information and are ignored.
 *
 * <p>Each key's search is bounded by {@link #MAX_STEPS_PER_KEY}; a key that exceeds it is reported
 * {@link Status#INCONCLUSIVE}, never as linearizable.
 */
public final class LinearizabilityChecker {

    /** Search steps per key before giving up; about a second of work per key on the build machines. */
    public static final long MAX_STEPS_PER_KEY = 20_000_000L;
    /** Operations named in one finding, so a report stays readable. */
    public static final int MAX_REPORTED_OPS = 8;

    public enum Status {
        /** Some order of the operations explains every answer. */
        LINEARIZABLE,
        /** No order does; {@link Result#offending()} names the operations where every attempt failed. */
        NOT_LINEARIZABLE,
        /** The search hit its step limit before deciding. */
        INCONCLUSIVE
    }

    /** The verdict for one key, with the operations that show it and a sentence saying why. */
    public record Result(String key, Status status, int operations, String explanation, List<Op> offending) {
        public Result {
            offending = List.copyOf(offending);
        }

        public boolean ok() {
            return status == Status.LINEARIZABLE;
        }

        /** The finding as report lines: a headline and one line per offending operation. */
        public List<String> describe() {
            List<String> lines = new ArrayList<>();
            lines.add("key " + key + ": " + status.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " (" + operations
                    + " operations checked): " + explanation);
            offending.forEach(op -> lines.add("    " + op.describe()));
            return lines;
        }
    }

    private LinearizabilityChecker() {}

    /** One result per key in {@code history}, in key order. */
    public static List<Result> check(List<Op> history) {
        Map<String, List<Op>> byKey = new TreeMap<>();
        for (Op op : history) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        List<Result> results = new ArrayList<>();
        byKey.forEach((key, ops) -> results.add(checkKey(key, ops)));
        return List.copyOf(results);
    }

    /** The verdict for the operations of one key (every op in {@code ops} must be on {@code key}). */
    public static Result checkKey(String key, List<Op> ops) {
        for (Op op : ops) {
            if (!op.key().equals(key)) {
                throw new IllegalArgumentException("op " + op.describe() + " is not on key " + key);
            }
        }
        Set<String> valuesRead = new HashSet<>();
        for (Op op : ops) {
            if (op.kind() == Op.Kind.READ && op.outcome() == Op.Outcome.OK && op.value() != null) {
                valuesRead.add(op.value());
            }
        }
        List<Op> relevant = new ArrayList<>();
        Map<String, Op> writers = new HashMap<>();
        Map<String, Op> failedWriters = new HashMap<>();
        for (Op op : ops) {
            boolean include = switch (op.outcome()) {
                case OK -> true;
                case UNKNOWN -> op.kind() == Op.Kind.WRITE && valuesRead.contains(op.value());
                case FAILED -> false;
            };
            if (include) {
                relevant.add(op);
                if (op.kind() == Op.Kind.WRITE) {
                    writers.put(op.value(), op);
                }
            } else if (op.kind() == Op.Kind.WRITE && op.outcome() == Op.Outcome.FAILED) {
                failedWriters.put(op.value(), op);
            }
        }
        for (Op op : relevant) {
            if (op.kind() == Op.Kind.READ && op.value() != null && !writers.containsKey(op.value())) {
                Op failed = failedWriters.get(op.value());
                return new Result(key, Status.NOT_LINEARIZABLE, relevant.size(), failed == null
                        ? "a read returned " + op.value() + ", which no write wrote"
                        : "a read returned " + op.value() + ", written by a write that failed", failed == null ? List.of(op) : List.of(op, failed));
            }
        }
        return new Search(key, relevant).run();
    }

    /** One key's search over a doubly linked list of call and return events ("lifting" removes a placed op). */
    private static final class Search {
        private static final long END_OF_TIME = Long.MAX_VALUE;

        private final String key;
        private final List<Op> ops;
        private final int head;
        private final boolean[] isCall;
        private final int[] opOf;
        private final int[] match;
        private final int[] next;
        private final int[] prev;

        private int bestDepth = -1;
        private int blockingOp = -1;
        private String blockingState;
        private BitSet blockingPlaced;

        Search(String key, List<Op> ops) {
            this.key = key;
            this.ops = List.copyOf(ops);
            int events = 2 * ops.size();
            // Index 0 is the list head; events are 1..events.
            head = 0;
            isCall = new boolean[events + 1];
            opOf = new int[events + 1];
            match = new int[events + 1];
            next = new int[events + 1];
            prev = new int[events + 1];
            record Event(long at, boolean call, int op) {}
            List<Event> order = new ArrayList<>(events);
            for (int i = 0; i < ops.size(); i++) {
                Op op = ops.get(i);
                order.add(new Event(op.invokeNanos(), true, i));
                order.add(new Event(op.outcome() == Op.Outcome.UNKNOWN ? END_OF_TIME : op.completeNanos(), false, i));
            }
            // At equal times calls come first: operations that touch at an instant count as concurrent, never as ordered.
            order.sort(Comparator.comparingLong(Event::at).thenComparing(e -> !e.call()).thenComparingInt(Event::op));
            int[] callIndex = new int[ops.size()];
            int[] returnIndex = new int[ops.size()];
            for (int i = 0; i < order.size(); i++) {
                int index = i + 1;
                Event e = order.get(i);
                isCall[index] = e.call();
                opOf[index] = e.op();
                if (e.call()) {
                    callIndex[e.op()] = index;
                } else {
                    returnIndex[e.op()] = index;
                }
                prev[index] = index - 1;
                next[index] = index + 1 <= events ? index + 1 : -1;
            }
            next[head] = events == 0 ? -1 : 1;
            for (int i = 0; i < ops.size(); i++) {
                match[callIndex[i]] = returnIndex[i];
                match[returnIndex[i]] = callIndex[i];
            }
        }

        private record Memo(BitSet placed, String state) {}

        private record Frame(int callEvent, String stateBefore) {}

        Result run() {
            Set<Memo> explored = new HashSet<>();
            Deque<Frame> stack = new ArrayDeque<>();
            BitSet placed = new BitSet(ops.size());
            String state = null;
            int event = next[head];
            long steps = 0;
            while (next[head] != -1) {
                if (++steps > MAX_STEPS_PER_KEY) {
                    return new Result(key, Status.INCONCLUSIVE, ops.size(), "the search gave up after " + MAX_STEPS_PER_KEY
                            + " steps with " + placed.cardinality() + " operations placed", List.of());
                }
                if (event == -1) {
                    throw new IllegalStateException("BUG: walked off the event list of key " + key + " with events left");
                }
                if (isCall[event]) {
                    Op op = ops.get(opOf[event]);
                    String after = apply(state, op);
                    if (after != REFUSED) {
                        BitSet withOp = (BitSet) placed.clone();
                        withOp.set(opOf[event]);
                        if (explored.add(new Memo(withOp, after))) {
                            stack.push(new Frame(event, state));
                            placed = withOp;
                            state = after;
                            lift(event);
                            event = next[head];
                            continue;
                        }
                    }
                    event = next[event];
                } else {
                    // An operation completed before it could be placed: undo the last placement and try the next candidate.
                    if (stack.size() >= bestDepth) {
                        bestDepth = stack.size();
                        blockingOp = opOf[event];
                        blockingState = state;
                        blockingPlaced = (BitSet) placed.clone();
                    }
                    if (stack.isEmpty()) {
                        return failure();
                    }
                    Frame frame = stack.pop();
                    unlift(frame.callEvent());
                    placed = (BitSet) placed.clone();
                    placed.clear(opOf[frame.callEvent()]);
                    state = frame.stateBefore();
                    event = next[frame.callEvent()];
                }
            }
            return new Result(key, Status.LINEARIZABLE, ops.size(), "every operation has a place", List.of());
        }

        /** Marks a register transition that the operation's answer rules out. */
        private static final String REFUSED = new String("refused");

        private static String apply(String state, Op op) {
            return switch (op.kind()) {
                case WRITE -> op.value();
                case READ -> Objects.equals(state, op.value()) ? state : REFUSED;
            };
        }

        private void lift(int callEvent) {
            int returnEvent = match[callEvent];
            unlink(callEvent);
            unlink(returnEvent);
        }

        private void unlift(int callEvent) {
            // Reverse order of lift, so each event's saved neighbours are current again when it is relinked.
            relink(match[callEvent]);
            relink(callEvent);
        }

        private void unlink(int event) {
            next[prev[event]] = next[event];
            if (next[event] != -1) {
                prev[next[event]] = prev[event];
            }
        }

        private void relink(int event) {
            next[prev[event]] = event;
            if (next[event] != -1) {
                prev[next[event]] = event;
            }
        }

        /**
         * The deepest point the search reached: the operation that could not be placed there, the write whose
         * value the register held, the write a read wanted, the last read and write that finished before it
         * began, and the operations overlapping it.
         */
        private Result failure() {
            Op blocked = ops.get(blockingOp);
            Map<Integer, Op> offending = new LinkedHashMap<>();
            offending.put(blocked.id(), blocked);
            Op holding = lastPlacedWriteOf(blockingState);
            if (holding != null) {
                offending.put(holding.id(), holding);
            }
            if (blocked.kind() == Op.Kind.READ && blocked.value() != null) {
                ops.stream().filter(op -> op.kind() == Op.Kind.WRITE && op.value().equals(blocked.value())).findFirst()
                        .ifPresent(op -> offending.putIfAbsent(op.id(), op));
            }
            // The latest read and write that finished before the blocked operation began pin what it may see.
            for (Op.Kind kind : Op.Kind.values()) {
                ops.stream().filter(op -> op.kind() == kind && op.outcome() == Op.Outcome.OK && op.completeNanos() < blocked.invokeNanos())
                        .max(Comparator.comparingLong(Op::completeNanos))
                        .ifPresent(op -> offending.putIfAbsent(op.id(), op));
            }
            long blockedEnd = blocked.outcome() == Op.Outcome.UNKNOWN ? END_OF_TIME : blocked.completeNanos();
            for (Op op : ops) {
                if (offending.size() >= MAX_REPORTED_OPS) {
                    break;
                }
                long end = op.outcome() == Op.Outcome.UNKNOWN ? END_OF_TIME : op.completeNanos();
                if (op.invokeNanos() <= blockedEnd && blocked.invokeNanos() <= end) {
                    offending.putIfAbsent(op.id(), op);
                }
            }
            String explanation = "no order of the operations is consistent with a register; at best " + blockingPlaced.cardinality()
                    + " were placed, the register then held " + (blockingState == null ? "no value" : blockingState)
                    + ", and " + blocked.describe() + " could not be placed before it completed";
            return new Result(key, Status.NOT_LINEARIZABLE, ops.size(), explanation, List.copyOf(offending.values()));
        }

        private Op lastPlacedWriteOf(String value) {
            if (value == null) {
                return null;
            }
            for (int i = blockingPlaced.nextSetBit(0); i >= 0; i = blockingPlaced.nextSetBit(i + 1)) {
                Op op = ops.get(i);
                if (op.kind() == Op.Kind.WRITE && op.value().equals(value)) {
                    return op;
                }
            }
            return null;
        }
    }
}
