package dev.sluice.client;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sluice.client.wire.DataApi;
import dev.sluice.client.wire.ErrorBody;
import dev.sluice.client.wire.ErrorCodes;
import dev.sluice.client.wire.RoutingInfo;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * The Java client of Sluice's data API. It maps a key to its partition (hashing into the partition table's
 * ranges, exactly as the nodes do) and the partition to its leader, and sends the request there over
 * HTTP/JSON. It owns a routing cache (the table, the members of each partition and the leader it last
 * found) and the retry policy that makes partition moves invisible to callers:
 *
 * <ul>
 *   <li>a {@code 421 not-leader} answer naming the leader is followed at once (bounded by
 *       {@link #MAX_IMMEDIATE_REDIRECTS} in a row before backing off);
 *   <li>{@code 421} without a leader, {@code 503}, {@code 5xx}, timeouts and refused connections forget the
 *       cached leader, refresh the routing and retry after a bounded exponential backoff with full jitter;
 *   <li>{@code 400} answers (malformed key, wrong or unknown partition, value too large) fail at once with
 *       a typed {@link SluiceClientException};
 *   <li>everything stops at the call's deadline ({@link Builder#callTimeout}, 30 s by default) or after
 *       {@link #MAX_ATTEMPTS} attempts, with {@link SluiceClientException.Code#DEADLINE_EXCEEDED} and the last
 *       failure as the cause.
 * </ul>
 *
 * <p>Writes are retried too: a {@code PUT} stores a whole value, so applying it twice is the same as once.
 * Thread-safe; share one instance.
 */
public final class SluiceClient implements AutoCloseable {

    /** Attempts per call, whatever the deadline: a guard against a loop that makes no progress. */
    public static final int MAX_ATTEMPTS = 10_000;
    /** Redirects followed back to back without backing off, so two nodes that disagree cannot spin us. */
    public static final int MAX_IMMEDIATE_REDIRECTS = 3;
    /** A routing refresh is not repeated more often than this, however many calls ask for one. */
    static final Duration MIN_REFRESH_INTERVAL = Duration.ofMillis(50);

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final List<URI> seeds;
    private final Duration callTimeout;
    private final Duration requestTimeout;
    private final Backoff backoff;
    private final RandomGenerator random;
    private final HttpClient http;

    private final Object refreshLock = new Object();
    private volatile RoutingInfo routing;
    private volatile long routingFetchedAtNanos;
    private final Map<PartitionId, URI> leaders = new ConcurrentHashMap<>();
    private final AtomicLong retries = new AtomicLong();

    private SluiceClient(Builder builder) {
        this.seeds = List.copyOf(builder.seeds);
        this.callTimeout = builder.callTimeout;
        this.requestTimeout = builder.requestTimeout;
        this.backoff = new Backoff(builder.initialBackoff, builder.maxBackoff);
        this.random = builder.random;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(builder.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Stores {@code value} under {@code key}; returns once a majority of the partition's replicas has
     * committed it.
     *
     * @throws SluiceClientException if the key or value is unusable, or the write did not succeed before the deadline
     */
    public void put(String key, byte[] value) {
        Objects.requireNonNull(value, "value");
        if (value.length > DataApi.MAX_VALUE_BYTES) {
            throw new SluiceClientException(SluiceClientException.Code.VALUE_TOO_LARGE,
                    "value for key '" + abbreviate(key) + "' is " + value.length + " bytes; the limit is " + DataApi.MAX_VALUE_BYTES);
        }
        call(key, value);
    }

    public void put(String key, String value) {
        put(key, value.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads the value under {@code key} from the partition's leader (linearizable).
     *
     * @return the value, or empty if none is stored
     * @throws SluiceClientException if the key is unusable, or the read did not succeed before the deadline
     */
    public Optional<byte[]> get(String key) {
        return Optional.ofNullable(call(key, null));
    }

    public Optional<String> getString(String key) {
        return get(key).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    /** The partition {@code key} belongs to, by the cluster's partition table (fetched if not cached). */
    public PartitionId partitionOf(String key) {
        return partitionOf(firstRouting(System.nanoTime() + callTimeout.toNanos()).table(), key);
    }

    /** The routing as last fetched, fetching it first if there is none. */
    public RoutingInfo routing() {
        return firstRouting(System.nanoTime() + callTimeout.toNanos());
    }

    /** How many attempts were retried since this client was built (for tests and load reports). */
    public long retries() {
        return retries.get();
    }

    @Override
    public void close() {
        http.close();
    }

    /** One call: a PUT when {@code value} is not null, a GET otherwise. Returns the GET's value or null. */
    private byte[] call(String key, byte[] value) {
        long deadline = System.nanoTime() + callTimeout.toNanos();
        byte[] keyBytes = requireKey(key);
        PartitionId partition = partitionOf(firstRouting(deadline).table(), key);
        String operation = value == null ? "read of" : "write of";
        Exception lastFailure = null;
        String lastProblem = "no attempt made";
        int redirectsInARow = 0;
        int backoffAttempt = 0;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            if (attempt > 1) {
                retries.incrementAndGet();
            }
            URI target = target(partition, deadline, attempt);
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                break;
            }
            HttpRequest request = request(target, key, keyBytes, partition, value, Duration.ofNanos(Math.min(remaining, requestTimeout.toNanos())));
            HttpResponse<byte[]> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException unreachable) {
                leaders.remove(partition, target);
                lastFailure = unreachable;
                lastProblem = target + " unreachable (" + unreachable.getClass().getSimpleName() + ")";
                markRoutingStale();
                redirectsInARow = 0;
                pause(++backoffAttempt, deadline, null);
                continue;
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new SluiceClientException(SluiceClientException.Code.INTERRUPTED, "interrupted during the " + operation + " '" + abbreviate(key) + "'", interrupted);
            }
            int status = response.statusCode();
            if (status == 200 || status == 204) {
                leaders.put(partition, target);
                return value == null ? response.body() : null;
            }
            ErrorBody error = errorBody(response);
            switch (status) {
                case 404 -> {
                    if (value == null && ErrorCodes.NOT_FOUND.equals(error.error())) {
                        leaders.put(partition, target);
                        return null;
                    }
                    throw new SluiceClientException(SluiceClientException.Code.REJECTED,
                            target + " answered 404 to the " + operation + " '" + abbreviate(key) + "': " + error.message());
                }
                case 400, 413 -> throw refused(error, key, partition, target);
                case 421 -> {
                    lastProblem = target + " does not lead " + partition + (error.leader() == null ? " and knows no leader" : "; leader is " + error.leader());
                    URI leaderUrl = error.leaderUrl() == null ? null : URI.create(error.leaderUrl());
                    if (leaderUrl != null && !leaderUrl.equals(target) && redirectsInARow < MAX_IMMEDIATE_REDIRECTS) {
                        leaders.put(partition, leaderUrl);
                        redirectsInARow++;
                        continue;
                    }
                    leaders.remove(partition);
                    markRoutingStale();
                }
                default -> {
                    // 503 (no leader yet, node not serving), 504 (commit timed out), other 5xx: transient.
                    lastProblem = target + " answered " + status + " " + error.error() + ": " + error.message();
                    leaders.remove(partition, target);
                    markRoutingStale();
                }
            }
            redirectsInARow = 0;
            pause(++backoffAttempt, deadline, response.headers().firstValue("Retry-After").orElse(null));
        }
        throw new SluiceClientException(SluiceClientException.Code.DEADLINE_EXCEEDED,
                "the " + operation + " '" + abbreviate(key) + "' (" + partition + ") did not succeed within " + callTimeout + "; last problem: " + lastProblem,
                lastFailure);
    }

    private HttpRequest request(URI node, String key, byte[] keyBytes, PartitionId partition, byte[] value, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(node.resolve(DataApi.KV_PATH + encodeKey(keyBytes)))
                .timeout(timeout)
                .header(DataApi.PARTITION_HEADER, partition.toString());
        if (value == null) {
            builder.GET();
        } else {
            builder.header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(value));
        }
        return builder.build();
    }

    /** Where to send the next attempt for {@code partition}: the known leader, the hinted one, then members in turn. */
    private URI target(PartitionId partition, long deadline, int attempt) {
        URI known = leaders.get(partition);
        if (known != null) {
            return known;
        }
        RoutingInfo current = routing(deadline);
        RoutingInfo.PartitionRoute route = current.partitions().stream()
                .filter(r -> r.partition().equals(partition)).findFirst().orElse(null);
        if (route == null || route.members().isEmpty()) {
            List<URI> anyNode = knownNodes(current);
            return anyNode.get(Math.floorMod(attempt, anyNode.size()));
        }
        if (route.leader() != null && attempt % 4 != 0) {
            for (RoutingInfo.Member member : route.members()) {
                if (member.node().equals(route.leader())) {
                    return member.url();
                }
            }
        }
        List<RoutingInfo.Member> serving = route.members().stream().filter(m -> m.state().servesTraffic()).toList();
        List<RoutingInfo.Member> candidates = serving.isEmpty() ? route.members() : serving;
        return candidates.get(Math.floorMod(attempt, candidates.size())).url();
    }

    /** The routing, retrying with backoff until the deadline while no node answers (say, all restarting). */
    private RoutingInfo firstRouting(long deadline) {
        for (int attempt = 1; ; attempt++) {
            try {
                return routing(deadline);
            } catch (SluiceClientException noRoute) {
                if (noRoute.code() != SluiceClientException.Code.NO_ROUTE || System.nanoTime() >= deadline || attempt >= MAX_ATTEMPTS) {
                    throw noRoute;
                }
                pause(attempt, deadline, null);
            }
        }
    }

    private RoutingInfo routing(long deadline) {
        RoutingInfo current = routing;
        if (current != null && routingFetchedAtNanos != 0) {
            return current;
        }
        synchronized (refreshLock) {
            current = routing;
            if (current != null && routingFetchedAtNanos != 0) {
                return current;
            }
            if (current != null && System.nanoTime() - lastRefreshAttemptNanos < MIN_REFRESH_INTERVAL.toNanos()) {
                return current;
            }
            lastRefreshAttemptNanos = System.nanoTime();
            RoutingInfo fetched = fetchRouting(current, deadline);
            if (fetched != null) {
                routing = fetched;
                routingFetchedAtNanos = System.nanoTime();
                return fetched;
            }
            if (current != null) {
                return current;
            }
            throw new SluiceClientException(SluiceClientException.Code.NO_ROUTE, "no node answered " + DataApi.ROUTING_PATH + "; tried " + seeds);
        }
    }

    private long lastRefreshAttemptNanos;

    private void markRoutingStale() {
        routingFetchedAtNanos = 0;
    }

    /** Asks the known nodes, then the seeds, for the routing; null if none answers. */
    private RoutingInfo fetchRouting(RoutingInfo current, long deadline) {
        List<URI> candidates = new ArrayList<>();
        if (current != null) {
            candidates.addAll(knownNodes(current));
        }
        candidates.addAll(seeds);
        Set<URI> tried = new LinkedHashSet<>();
        int start;
        synchronized (random) {
            start = random.nextInt(candidates.size());
        }
        for (int i = 0; i < candidates.size(); i++) {
            URI node = candidates.get((start + i) % candidates.size());
            if (!tried.add(node)) {
                continue;
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return null;
            }
            try {
                HttpRequest request = HttpRequest.newBuilder(node.resolve(DataApi.ROUTING_PATH))
                        .timeout(Duration.ofNanos(Math.min(remaining, requestTimeout.toNanos()))).GET().build();
                HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() == 200) {
                    return JSON.readValue(response.body(), RoutingInfo.class);
                }
            } catch (IOException unreachable) {
                // Try the next node.
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new SluiceClientException(SluiceClientException.Code.INTERRUPTED, "interrupted while fetching the routing", interrupted);
            }
        }
        return null;
    }

    private List<URI> knownNodes(RoutingInfo current) {
        Set<URI> nodes = new LinkedHashSet<>();
        for (RoutingInfo.PartitionRoute route : current.partitions()) {
            route.members().forEach(member -> nodes.add(member.url()));
        }
        nodes.addAll(seeds);
        return List.copyOf(nodes);
    }

    private void pause(int attempt, long deadline, String retryAfter) {
        Duration delay;
        synchronized (random) {
            delay = backoff.delay(attempt, random);
        }
        if (retryAfter != null) {
            // Retry-After is in whole seconds: too coarse for a leader election; treat it as a ceiling hint only.
            delay = delay.compareTo(backoff.max()) > 0 ? backoff.max() : delay;
        }
        long remaining = deadline - System.nanoTime();
        long sleepNanos = Math.min(delay.toNanos(), Math.max(0, remaining));
        if (sleepNanos <= 0) {
            return;
        }
        try {
            Thread.sleep(Duration.ofNanos(sleepNanos));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new SluiceClientException(SluiceClientException.Code.INTERRUPTED, "interrupted while backing off", interrupted);
        }
    }

    private static SluiceClientException refused(ErrorBody error, String key, PartitionId partition, URI node) {
        SluiceClientException.Code code = switch (error.error()) {
            case ErrorCodes.MALFORMED_KEY -> SluiceClientException.Code.MALFORMED_KEY;
            case ErrorCodes.WRONG_PARTITION -> SluiceClientException.Code.WRONG_PARTITION;
            case ErrorCodes.UNKNOWN_PARTITION -> SluiceClientException.Code.UNKNOWN_PARTITION;
            case ErrorCodes.VALUE_TOO_LARGE -> SluiceClientException.Code.VALUE_TOO_LARGE;
            default -> SluiceClientException.Code.REJECTED;
        };
        return new SluiceClientException(code, node + " refused key '" + abbreviate(key) + "' (" + partition + "): " + error.message());
    }

    private static ErrorBody errorBody(HttpResponse<byte[]> response) {
        try {
            return JSON.readValue(response.body(), ErrorBody.class);
        } catch (IOException | RuntimeException notJson) {
            return ErrorBody.of("http-" + response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
        }
    }

    private static byte[] requireKey(String key) {
        if (key == null) {
            throw new SluiceClientException(SluiceClientException.Code.MALFORMED_KEY, "key must not be null");
        }
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        try {
            PartitionTable.requireValidKey(bytes);
        } catch (IllegalArgumentException malformed) {
            throw new SluiceClientException(SluiceClientException.Code.MALFORMED_KEY, malformed.getMessage() + " (key '" + abbreviate(key) + "')");
        }
        return bytes;
    }

    private static PartitionId partitionOf(PartitionTable table, String key) {
        return table.partitionOf(requireKey(key));
    }

    /** Percent-encodes every byte except unreserved characters and {@code /}, which the route accepts inside a key. */
    static String encodeKey(byte[] key) {
        StringBuilder encoded = new StringBuilder(key.length * 3);
        for (byte b : key) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
                encoded.append((char) c);
            } else {
                encoded.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return encoded.toString();
    }

    private static String abbreviate(String key) {
        return key == null ? "null" : key.length() <= 64 ? key : key.substring(0, 61) + "...";
    }

    /** Validates each option as it is set and all of them together in {@link #build()}. */
    public static final class Builder {
        private final List<URI> seeds = new ArrayList<>();
        private Duration callTimeout = Duration.ofSeconds(30);
        private Duration requestTimeout = Duration.ofSeconds(5);
        private Duration connectTimeout = Duration.ofSeconds(1);
        private Duration initialBackoff = Duration.ofMillis(20);
        private Duration maxBackoff = Duration.ofSeconds(1);
        private RandomGenerator random;

        private Builder() {}

        /** A node's HTTP base URL to learn the routing from; give several so one down node does not matter. */
        public Builder seed(URI node) {
            String scheme = Objects.requireNonNull(node, "node").getScheme();
            if (!"http".equals(scheme) && !"https".equals(scheme)) {
                throw new IllegalArgumentException("seed must be an http(s) URL, got " + node);
            }
            seeds.add(node);
            return this;
        }

        public Builder seeds(List<URI> nodes) {
            nodes.forEach(this::seed);
            return this;
        }

        /** How long one call may take in total, retries included (default 30 s). */
        public Builder callTimeout(Duration timeout) {
            this.callTimeout = positive("call timeout", timeout);
            return this;
        }

        /** How long one HTTP attempt may take (default 5 s). */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive("request timeout", timeout);
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive("connect timeout", timeout);
            return this;
        }

        /** The first and the largest backoff between retries (defaults 20 ms and 1 s). */
        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = positive("initial backoff", initial);
            this.maxBackoff = positive("max backoff", max);
            return this;
        }

        /** The source of backoff jitter; pass a seeded generator for reproducible runs. */
        public Builder random(RandomGenerator generator) {
            this.random = Objects.requireNonNull(generator, "generator");
            return this;
        }

        /**
         * @throws IllegalArgumentException if no seed was given, or the options contradict each other
         */
        public SluiceClient build() {
            if (seeds.isEmpty()) {
                throw new IllegalArgumentException("a client needs at least one seed node URL");
            }
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("max backoff " + maxBackoff + " is below the initial backoff " + initialBackoff);
            }
            if (random == null) {
                random = RandomGenerator.of("L64X128MixRandom");
            }
            return new SluiceClient(this);
        }

        private static Duration positive(String what, Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, got " + value);
            }
            return value;
        }
    }
}
