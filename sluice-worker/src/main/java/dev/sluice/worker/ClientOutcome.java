package dev.sluice.worker;

import dev.sluice.model.WireNames;

/**
 * How a worker answered a client's data request, as the client experiences it. The wire names are one word each,
 * so the {@code outcome} label of the node's meters spells them as the rest of Sluice does.
 */
public enum ClientOutcome {
    /** Answered: a write committed, a read's value, or a read's {@code 404 not-found} (the key has no value). */
    OK,
    /**
     * {@code 421 not-leader}: this node does not lead the partition and names who does. The client follows it at
     * the cost of one more round trip; leaderships moving during a drain show up here.
     */
    REDIRECTED,
    /** {@code 4xx} other than those: the request was malformed or named the wrong partition; retrying it as is fails again. */
    REJECTED,
    /**
     * {@code 503}, {@code 504} or {@code 507}: no leader, not answered in time, or no room on the disk. Transient: the
     * client retries, possibly elsewhere, and waits meanwhile.
     */
    UNAVAILABLE,
    /** {@code 500}, or the handler failed: a bug or an unexpected failure of the node. */
    ERROR;

    /** The outcome of an answer with HTTP status {@code status} on the data routes. */
    public static ClientOutcome ofStatus(int status) {
        if (status >= 200 && status < 300 || status == 404) {
            return OK;
        }
        if (status == 421) {
            return REDIRECTED;
        }
        if (status >= 400 && status < 500) {
            return REJECTED;
        }
        if (status == 503 || status == 504 || status == 507) {
            return UNAVAILABLE;
        }
        return ERROR;
    }

    /** Whether the client did not get what it asked for and must retry or give up: what counts as impact. */
    public boolean failed() {
        return switch (this) {
            case OK, REDIRECTED, REJECTED -> false;
            case UNAVAILABLE, ERROR -> true;
        };
    }

    public String wireName() {
        return WireNames.of(this);
    }

    @Override
    public String toString() {
        return wireName();
    }
}
