package dev.sluice.client;

import java.util.Locale;

/**
 * A data-API call that did not succeed. {@link #code()} says why in a form a program can switch on; the
 * message says it in words, naming the key, partition or node involved.
 */
public final class SluiceClientException extends RuntimeException {

    /** Why a call failed. */
    public enum Code {
        /** The key is empty, too long or otherwise unusable; retrying cannot help. */
        MALFORMED_KEY,
        /** The value is larger than the data API accepts. */
        VALUE_TOO_LARGE,
        /** A node said the key belongs to another partition than the client computed: client and cluster disagree on the table. */
        WRONG_PARTITION,
        /** A node does not know the partition the client asked for. */
        UNKNOWN_PARTITION,
        /** A node refused the request for another reason it called final (a 4xx answer). */
        REJECTED,
        /** The call did not succeed before its deadline; the last transient failure is the cause. A write may still have been applied. */
        DEADLINE_EXCEEDED,
        /** No node could be reached to learn the routing. */
        NO_ROUTE,
        /**
         * The cluster checks credentials and refused this client's: no token or an unknown one (401), or a credential
         * without the {@code data} scope (403). Retrying cannot help; the message says which.
         */
        UNAUTHORIZED,
        /** The calling thread was interrupted. */
        INTERRUPTED;

        /** The kebab-case spelling used in logs and by the CLI. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final Code code;

    public SluiceClientException(Code code, String message, Throwable cause) {
        super(code.wireName() + ": " + message, cause);
        this.code = code;
    }

    public SluiceClientException(Code code, String message) {
        this(code, message, null);
    }

    public Code code() {
        return code;
    }
}
