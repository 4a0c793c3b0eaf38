package dev.sluice.client.wire;

import java.util.Objects;
import java.util.UUID;

/**
 * The idempotency key of one write, sent as {@link DataApi#REQUEST_ID_HEADER}: the writing client's id and the
 * number of the call within that client, printed {@code <uuid>/<call>}. A node hands it to Raft as the
 * request's client id and call id, and Raft's retry cache (which every replica fills as it applies entries,
 * kept for 60 s) answers a second attempt with the first one's outcome instead of appending the write again.
 *
 * @param client unique per client instance (random, never derived from a seeded generator: two clients with
 *     the same id would answer each other's writes from the cache)
 * @param call positive, unique within the client; all attempts of one call share it
 */
public record RequestId(UUID client, long call) {

    public RequestId {
        Objects.requireNonNull(client, "client");
        if (call < 1) {
            throw new IllegalArgumentException("a request id's call number must be positive, got " + call);
        }
    }

    /**
     * Reads {@code <uuid>/<call>}.
     *
     * @throws IllegalArgumentException naming the header and what is wrong, if {@code text} is not a request id
     */
    public static RequestId parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException(DataApi.REQUEST_ID_HEADER + " must be <uuid>/<call number>, got '" + abbreviate(text) + "'");
        }
        UUID client;
        long call;
        try {
            client = UUID.fromString(text.substring(0, slash));
            call = Long.parseLong(text.substring(slash + 1));
        } catch (IllegalArgumentException malformed) {
            throw new IllegalArgumentException(DataApi.REQUEST_ID_HEADER + " must be <uuid>/<call number>, got '" + abbreviate(text) + "'", malformed);
        }
        if (call < 1) {
            throw new IllegalArgumentException(DataApi.REQUEST_ID_HEADER + "'s call number must be positive, got '" + abbreviate(text) + "'");
        }
        return new RequestId(client, call);
    }

    private static String abbreviate(String text) {
        return text.length() <= 80 ? text : text.substring(0, 77) + "...";
    }

    @Override
    public String toString() {
        return client + "/" + call;
    }
}
