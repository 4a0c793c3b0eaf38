package dev.sluice.chaos;

import java.util.Objects;

/**
 * One client operation on one key of the register workload, as recorded: what was asked, when (nanoseconds
 * since the run started, from one monotonic clock), and what came of it.
 *
 * @param id unique within a history, in invocation order
 * @param process the client that issued it; a client has at most one operation open at a time
 * @param value for a write the value written (unique in the run); for a read the value returned, {@code null}
 *     for "no value stored" (and for a read that did not complete)
 * @param completeNanos when the answer came; for an {@link Outcome#UNKNOWN} write it only says when the
 *     client gave up, since the write may still take effect later
 * @param error why it failed, or {@code null}
 */
public record Op(int id, int process, Kind kind, String key, String value, long invokeNanos, long completeNanos, Outcome outcome, String error) {

    public enum Kind {
        /** Stores a whole value under the key. */
        WRITE,
        /** Returns the value under the key. */
        READ;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public enum Outcome {
        /** Acknowledged: a write is committed, a read returned this value. */
        OK,
        /** Definitely had no effect (refused before it was sent); a failed read tells nothing. */
        FAILED,
        /** The client gave up without an answer: the write may or may not have taken effect, at any time after invocation. */
        UNKNOWN;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Op {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(outcome, "outcome");
        if (kind == Kind.WRITE && value == null) {
            throw new IllegalArgumentException("a write needs a value");
        }
        if (completeNanos < invokeNanos) {
            throw new IllegalArgumentException("op " + id + " completes at " + completeNanos + " before it was invoked at " + invokeNanos);
        }
    }

    /** A short, stable description for reports: {@code #12 p3 write k1=c3-7 ok [1.204 s, 1.310 s]}. */
    public String describe() {
        String what = kind == Kind.WRITE ? "write " + key + "=" + value : "read " + key + " -> " + (value == null ? "(none)" : value);
        return String.format(java.util.Locale.ROOT, "#%d p%d %s %s [%.3f s, %.3f s]", id, process, what, outcome.wireName(),
                invokeNanos / 1e9, completeNanos / 1e9);
    }

    /** One tab-separated line of the history file; {@code -} for absent values. */
    String toLine() {
        return id + "\t" + process + "\t" + kind.wireName() + "\t" + key + "\t" + (value == null ? "-" : value) + "\t" + outcome.wireName()
                + "\t" + invokeNanos + "\t" + completeNanos + "\t" + (error == null ? "-" : error.replace('\t', ' ').replace('\n', ' '));
    }
}
