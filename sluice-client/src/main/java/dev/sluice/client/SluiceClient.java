package dev.sluice.client;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sluice.client.wire.DataApi;
import dev.sluice.client.wire.ErrorBody;
import dev.sluice.client.wire.ErrorCodes;
import dev.sluice.client.wire.RequestId;
import dev.sluice.client.wire.RoutingInfo;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionTable;
import dev.sluice.security.ClusterTrust;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * The Java client of Sluice's data API. It maps a key to its partition (hashing into the partition table's
 * ranges, exactly as the nodes do) and the partition to its leader, and sends the request there over
 * HTTP/JSON. It owns a routing cache (the table, the members of each partition and the leader it last
 * found), the nodes it currently suspects of not answering, and the retry policy that makes partition moves
 * and failed nodes invisible to callers:
 *
 * <ul>
 *   <li>a {@code 421 not-leader} answer naming the leader is followed at once (bounded by
 *       {@link #MAX_IMMEDIATE_REDIRECTS} in a row before backing off), unless that leader is suspect;
 *   <li>a request that times out or cannot connect makes its node <em>suspect</em> for
 *       {@link Builder#suspectPenalty} (2 s by default): requests and routing refreshes go to other nodes
 *       meanwhile, and a redirect to it counts as "no leader yet", so a frozen node costs each call at most
 *       one request timeout and the partition's other members are asked until they elect a new leader;
 *   <li>{@code 421} without a leader, {@code 503}, {@code 5xx}, timeouts and refused connections forget the
 *       cached leader, refresh the routing (in the background of other calls, which keep the routing they
 *       have rather than wait) and retry after a bounded exponential backoff with full jitter; after a
 *       {@code 504} the next attempt asks another member first;
 *   <li>{@code 400} answers (malformed key, wrong or unknown partition, value too large) fail at once with
 *       a typed {@link SluiceClientException};
 *   <li>everything stops at the call's deadline ({@link Builder#callTimeout}, 30 s by default) or after
 *       {@link #MAX_ATTEMPTS} attempts, with {@link SluiceClientException.Code#DEADLINE_EXCEEDED} and the last
 *       failure as the cause.
 * </ul>
 *
 * <p>Every attempt is bounded by {@link Builder#requestTimeout} (750 ms by default) and tells the node how
 * long it waits ({@link DataApi#TIMEOUT_HEADER}), so the node answers {@code 504} before the client gives up,
 * and a client-side timeout means the node did not answer at all.
 *
 * <p>Writes are retried too, and each attempt of one write carries the same {@link RequestId}
 * ({@link DataApi#REQUEST_ID_HEADER}): the partition's leader answers a repeated attempt with the outcome of
 * the write it already has, committed or still in flight, instead of appending it again, so a write is applied
 * once however often it is retried, as long as the retries come within Raft's 60 s retry cache (the default
 * call timeout is 30 s). A write that ends in {@code DEADLINE_EXCEEDED} may still be applied, once. Thread-safe; share one instance.
 */
public final class SluiceClient implements AutoCloseable {

    /** Attempts per call, whatever the deadline: a guard against a loop that makes no progress. */
    public static final int MAX_ATTEMPTS = 10_000;
    /** Redirects followed back to back without backing off, so two nodes that disagree cannot spin us. */
    public static final int MAX_IMMEDIATE_REDIRECTS = 3;
    /** A routing refresh is not repeated more often than this, however many calls ask for one. */
    static final Duration MIN_REFRESH_INTERVAL = Duration.ofMillis(50);

    /** How long one call may take in total, retries included. */
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);
    /**
     * How long one attempt waits for its answer. A healthy write commits in tens of milliseconds (p99 50-300 ms
     * on a loaded 2-core machine, docs/benchmarks.md); a frozen or cut-off node never answers. 750 ms is well
     * above the first and well under a Raft election (1-2 s), so a client gives up on a frozen leader about as
     * soon as its followers do. A slower write is not lost or doubled: the node answers {@code 504} at
     * {@link DataApi#SERVER_SHARE_PERCENT}% of the timeout, and the retry carries the same request id, so it
     * joins the write in flight and succeeds once it commits, within the call timeout.
     */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofMillis(750);
    /**
     * How long opening a connection may take. On a LAN a connection opens in well under a millisecond, and
     * connections are reused; one that takes 250 ms goes to a host that drops packets (cut off or gone).
     */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofMillis(250);
    /**
     * How long opening a connection may take when the seeds are {@code https://}: the JDK's connect timeout includes
     * the TLS handshake, and a client's first handshake pays for loading and warming its TLS stack. On the 2-core build
     * machine at load average 22 a fresh JVM's first handshake took 1.2 s and later ones 0.1-0.7 s (on an idle machine,
     * milliseconds), so 250 ms refused healthy nodes. A host that drops packets still costs no more than this once:
     * it is then kept away from for the suspect penalty.
     */
    public static final Duration DEFAULT_TLS_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /**
     * How long a node that did not answer is kept away from: about a Raft election (election timeouts 1-2 s),
     * so a frozen leader's partitions are asked of their other members until one of them leads, and the
     * frozen node costs one request timeout per call rather than one per attempt. A healthy node suspected
     * wrongly (a client-side stall) loses its traffic for this long at most.
     */
    public static final Duration DEFAULT_SUSPECT_PENALTY = Duration.ofSeconds(2);
    /** The first backoff between retries. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(20);
    /**
     * The largest backoff between retries: while a partition elects a leader the client keeps asking its
     * members, and the wait after a new leader appears is at most this. The answers meanwhile ({@code 421},
     * {@code 503}) cost the nodes no Raft work.
     */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMillis(250);

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final List<URI> seeds;
    private final Duration callTimeout;
    private final Duration firstRoutingWait;
    private final Duration requestTimeout;
    private final Duration connectTimeout;
    private final Backoff backoff;
    private final RandomGenerator random;
    private final HttpClient http;
    private final SuspectNodes suspects;
    /** Random rather than from {@link #random}: two clients seeded alike must still not share write ids. */
    private final UUID clientId = UUID.randomUUID();
    private final AtomicLong writeCalls = new AtomicLong();
    /** {@code Bearer <token>}, or null when the cluster checks no credentials. */
    private final String authorization;

    private final ReentrantLock refreshLock = new ReentrantLock();
    private volatile RoutingInfo routing;
    private volatile long routingFetchedAtNanos;
    private long lastRefreshAttemptNanos;
    private final Map<PartitionId, URI> leaders = new ConcurrentHashMap<>();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong unanswered = new AtomicLong();
    /** Why the last TLS handshake with a node failed, for the message when no node answers: a wrong CA looks like silence otherwise. */
    private volatile SSLException lastTlsFailure;

    private SluiceClient(Builder builder) {
        this.seeds = List.copyOf(builder.seeds);
        this.callTimeout = builder.callTimeout;
        this.firstRoutingWait = builder.firstRoutingWait == null ? builder.callTimeout : builder.firstRoutingWait;
        this.requestTimeout = builder.requestTimeout;
        this.connectTimeout = builder.connectTimeout;
        this.backoff = new Backoff(builder.initialBackoff, builder.maxBackoff);
        this.random = builder.random;
        this.suspects = new SuspectNodes(builder.suspectPenalty);
        this.authorization = builder.token == null ? null : "Bearer " + builder.token;
        HttpClient.Builder http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(builder.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER);
        if (builder.tls != null) {
            http.sslContext(builder.tls);
        }
        this.http = http.build();
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

    /**
     * How many requests (data and routing) got no answer since this client was built: they timed out or could
     * not connect, and made their node suspect (for tests and load reports).
     */
    public long unansweredRequests() {
        return unanswered.get();
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
        RequestId requestId = value == null ? null : new RequestId(clientId, writeCalls.incrementAndGet());
        Exception lastFailure = null;
        String lastProblem = "no attempt made";
        int redirectsInARow = 0;
        int backoffAttempt = 0;
        URI avoid = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            if (attempt > 1) {
                retries.incrementAndGet();
            }
            URI target = target(partition, deadline, attempt, avoid);
            avoid = null;
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                break;
            }
            HttpRequest request = request(target, keyBytes, partition, value, requestId, Duration.ofNanos(Math.min(remaining, requestTimeout.toNanos())));
            HttpResponse<byte[]> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException unreachable) {
                unanswered(target);
                leaders.remove(partition, target);
                lastFailure = unreachable;
                lastProblem = target + " did not answer (" + unreachable.getClass().getSimpleName() + ")";
                markRoutingStale();
                redirectsInARow = 0;
                pause(++backoffAttempt, deadline, null);
                continue;
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new SluiceClientException(SluiceClientException.Code.INTERRUPTED, "interrupted during the " + operation + " '" + abbreviate(key) + "'", interrupted);
            }
            suspects.answered(target);
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
                case 401, 403 -> throw unauthorized(target, status, error.message());
                case 421 -> {
                    lastProblem = target + " does not lead " + partition + (error.leader() == null ? " and knows no leader" : "; leader is " + error.leader());
                    URI leaderUrl = error.leaderUrl() == null ? null : URI.create(error.leaderUrl());
                    if (leaderUrl != null && !leaderUrl.equals(target) && redirectsInARow < MAX_IMMEDIATE_REDIRECTS) {
                        if (!suspects.isSuspect(leaderUrl, System.nanoTime())) {
                            leaders.put(partition, leaderUrl);
                            redirectsInARow++;
                            continue;
                        }
                        // The members still name a leader that stopped answering: they have not elected another yet.
                        lastProblem = target + " says " + error.leader() + " leads " + partition + ", but " + leaderUrl + " did not answer lately";
                    }
                    leaders.remove(partition);
                    markRoutingStale();
                }
                default -> {
                    // 503 (no leader yet, node not serving), 504 (not committed within the deadline), other 5xx: transient.
                    lastProblem = target + " answered " + status + " " + error.error() + ": " + error.message();
                    leaders.remove(partition, target);
                    markRoutingStale();
                    if (status == 504) {
                        // A leader that cannot commit may be cut off from its followers, who know the new leader; a slow
                        // but real leader is named again by them, and the retry joins the write in flight.
                        avoid = target;
                    }
                }
            }
            redirectsInARow = 0;
            pause(++backoffAttempt, deadline, response.headers().firstValue("Retry-After").orElse(null));
        }
        throw new SluiceClientException(SluiceClientException.Code.DEADLINE_EXCEEDED,
                "the " + operation + " '" + abbreviate(key) + "' (" + partition + ") did not succeed within " + callTimeout + "; last problem: " + lastProblem,
                lastFailure);
    }

    private void unanswered(URI node) {
        unanswered.incrementAndGet();
        suspects.unanswered(node, System.nanoTime());
    }

    private HttpRequest request(URI node, byte[] keyBytes, PartitionId partition, byte[] value, RequestId requestId, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(node.resolve(DataApi.KV_PATH + encodeKey(keyBytes)))
                .timeout(timeout)
                .header(DataApi.PARTITION_HEADER, partition.toString())
                .header(DataApi.TIMEOUT_HEADER, Long.toString(Math.max(1, timeout.toMillis())));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (value == null) {
            builder.GET();
        } else {
            builder.header(DataApi.REQUEST_ID_HEADER, requestId.toString())
                    .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(value));
        }
        return builder.build();
    }

    /**
     * Where to send the next attempt for {@code partition}: the known leader, else the routing's hint, else the
     * members (serving ones first) in turn; skipping suspect nodes and {@code avoid} while any other is left.
     */
    private URI target(PartitionId partition, long deadline, int attempt, URI avoid) {
        URI known = leaders.get(partition);
        if (known != null && !known.equals(avoid) && !suspects.isSuspect(known, System.nanoTime())) {
            return known;
        }
        List<URI> candidates = candidates(routing(deadline), partition, attempt);
        long now = System.nanoTime();
        for (URI node : candidates) {
            if (!node.equals(avoid) && !suspects.isSuspect(node, now)) {
                return node;
            }
        }
        // Avoiding a node is a preference: it answered, which a suspect node did not.
        if (avoid != null && candidates.contains(avoid) && !suspects.isSuspect(avoid, now)) {
            return avoid;
        }
        return suspects.preferred(candidates, now);
    }

    /** The nodes to try for {@code partition}, most likely leader first; never empty (the seeds are nodes too). */
    private List<URI> candidates(RoutingInfo current, PartitionId partition, int attempt) {
        RoutingInfo.PartitionRoute route = current.partitions().stream()
                .filter(r -> r.partition().equals(partition)).findFirst().orElse(null);
        if (route == null || route.members().isEmpty()) {
            return rotated(knownNodes(current), attempt);
        }
        Set<URI> ordered = new LinkedHashSet<>();
        // Every fourth attempt skips the hint, in case the node it names keeps answering without helping.
        if (route.leader() != null && attempt % 4 != 0) {
            route.members().stream().filter(member -> member.node().equals(route.leader())).findFirst()
                    .ifPresent(member -> ordered.add(member.url()));
        }
        ordered.addAll(rotated(route.members().stream().filter(m -> m.state().servesTraffic()).map(RoutingInfo.Member::url).toList(), attempt));
        ordered.addAll(rotated(route.members().stream().map(RoutingInfo.Member::url).toList(), attempt));
        return List.copyOf(ordered);
    }

    private static List<URI> rotated(List<URI> nodes, int by) {
        if (nodes.isEmpty()) {
            return nodes;
        }
        List<URI> rotated = new ArrayList<>(nodes.size());
        int start = Math.floorMod(by, nodes.size());
        for (int i = 0; i < nodes.size(); i++) {
            rotated.add(nodes.get((start + i) % nodes.size()));
        }
        return rotated;
    }

    /**
     * The routing, retrying with backoff while no node answers (say, all restarting), until the first-routing
     * wait or the call's deadline is over; every round asks each seed once, each request bounded by the deadline.
     */
    private RoutingInfo firstRouting(long deadline) {
        long waitDeadline = Math.min(deadline, System.nanoTime() + firstRoutingWait.toNanos());
        for (int attempt = 1; ; attempt++) {
            try {
                return routing(deadline);
            } catch (SluiceClientException noRoute) {
                if (noRoute.code() != SluiceClientException.Code.NO_ROUTE || System.nanoTime() >= waitDeadline || attempt >= MAX_ATTEMPTS) {
                    throw noRoute;
                }
                pause(attempt, waitDeadline, null);
            }
        }
    }

    private RoutingInfo routing(long deadline) {
        RoutingInfo current = routing;
        if (current != null && routingFetchedAtNanos != 0) {
            return current;
        }
        if (current != null) {
            // Stale but usable: one call refreshes it, the others go on with what they have rather than queue
            // behind a refresh that may be waiting out a node that does not answer.
            if (!refreshLock.tryLock()) {
                return current;
            }
        } else {
            try {
                refreshLock.lockInterruptibly();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new SluiceClientException(SluiceClientException.Code.INTERRUPTED, "interrupted while waiting for the routing", interrupted);
            }
        }
        try {
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
            SSLException tlsFailure = lastTlsFailure;
            throw new SluiceClientException(SluiceClientException.Code.NO_ROUTE, "no node answered " + DataApi.ROUTING_PATH + "; tried " + seeds
                    + (tlsFailure == null ? "" : "; TLS failed (" + tlsFailure.getMessage() + "): does the client trust the cluster's CA (trustedCa)?"));
        } finally {
            refreshLock.unlock();
        }
    }

    /**
     * A routing request usually opens the connection it goes over, and the JDK counts an {@code https://} connection's
     * handshake against the request's timeout: so it gets the connect timeout on top of the request timeout, or the
     * first call of a fresh process (the CLI's only one) fails on its own handshake.
     */
    private Duration routingTimeout(URI node) {
        return "https".equalsIgnoreCase(node.getScheme()) ? requestTimeout.plus(connectTimeout) : requestTimeout;
    }

    private void markRoutingStale() {
        routingFetchedAtNanos = 0;
    }

    /** Asks the known nodes and the seeds, from a random one on and suspect nodes last, for the routing; null if none answers. */
    private RoutingInfo fetchRouting(RoutingInfo current, long deadline) {
        Set<URI> distinct = new LinkedHashSet<>();
        if (current != null) {
            distinct.addAll(knownNodes(current));
        }
        distinct.addAll(seeds);
        int start;
        synchronized (random) {
            start = random.nextInt(distinct.size());
        }
        List<URI> candidates = new ArrayList<>(rotated(List.copyOf(distinct), start));
        long now = System.nanoTime();
        candidates.sort((a, b) -> Boolean.compare(suspects.isSuspect(a, now), suspects.isSuspect(b, now)));
        for (URI node : candidates) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return null;
            }
            try {
                HttpRequest.Builder builder = HttpRequest.newBuilder(node.resolve(DataApi.ROUTING_PATH))
                        .timeout(Duration.ofNanos(Math.min(remaining, routingTimeout(node).toNanos()))).GET();
                if (authorization != null) {
                    builder.header("Authorization", authorization);
                }
                HttpResponse<byte[]> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
                suspects.answered(node);
                if (response.statusCode() == 401 || response.statusCode() == 403) {
                    throw unauthorized(node, response.statusCode(), errorBody(response).message());
                }
                if (response.statusCode() == 200) {
                    Optional<RoutingInfo> parsed = parseRouting(response.body());
                    if (parsed.isPresent()) {
                        return parsed.get();
                    }
                }
            } catch (IOException unreachable) {
                if (unreachable instanceof SSLException tls) {
                    lastTlsFailure = tls;
                }
                unanswered(node);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new SluiceClientException(SluiceClientException.Code.INTERRUPTED, "interrupted while fetching the routing", interrupted);
            }
        }
        return null;
    }

    /** The routing in {@code body}, or empty if it is not one (the node answered; it is not suspect for that). */
    private static Optional<RoutingInfo> parseRouting(byte[] body) {
        try {
            return Optional.of(JSON.readValue(body, RoutingInfo.class));
        } catch (IOException | RuntimeException notRouting) {
            return Optional.empty();
        }
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

    /** A refused credential: every node of the cluster checks the same ones, so no other node or retry would take it. */
    private SluiceClientException unauthorized(URI node, int status, String message) {
        return new SluiceClientException(SluiceClientException.Code.UNAUTHORIZED, node + " refused the client's credential (HTTP " + status + "): "
                + message + (authorization == null ? "; the cluster checks credentials: give the client a token with the data scope" : ""));
    }

    private static String abbreviate(String key) {
        return key == null ? "null" : key.length() <= 64 ? key : key.substring(0, 61) + "...";
    }

    /** Validates each option as it is set and all of them together in {@link #build()}. */
    public static final class Builder {
        private final List<URI> seeds = new ArrayList<>();
        private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
        private Duration firstRoutingWait;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        /** Null until set: the default depends on whether the seeds use TLS. */
        private Duration connectTimeout;
        private Duration suspectPenalty = DEFAULT_SUSPECT_PENALTY;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private RandomGenerator random;
        private SSLContext tls;
        private String token;

        private Builder() {}

        /**
         * Trusts the cluster's CA for {@code https://} nodes, and no other CA: {@code caFile} is a PEM file of one or
         * more CA certificates, such as the {@code ca.crt} that {@code sluice certs} or {@code sluice local} made.
         *
         * @throws dev.sluice.security.TlsFileException if the file is missing, holds no CA certificate, or one has expired
         */
        public Builder trustedCa(Path caFile) {
            this.tls = ClusterTrust.load(caFile, InstantSource.system()).sslContext();
            return this;
        }

        /**
         * The TLS context for {@code https://} nodes, for a caller that holds one already (a node, which presents its
         * own certificate); {@link #trustedCa} is the usual way. Without either, the JDK's default CAs are trusted.
         */
        public Builder tls(SSLContext context) {
            this.tls = Objects.requireNonNull(context, "context");
            return this;
        }

        /**
         * The bearer token sent with every request, for a cluster that checks credentials: its credential needs the
         * {@code data} scope. Without one the client sends none, which a cluster without credentials takes.
         */
        public Builder token(String token) {
            if (token == null || token.isBlank() || token.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
                throw new IllegalArgumentException("a token is a non-empty string without white space");
            }
            this.token = token;
            return this;
        }

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

        /** How long one call may take in total, retries included (default {@link #DEFAULT_CALL_TIMEOUT}, 30 s). */
        public Builder callTimeout(Duration timeout) {
            this.callTimeout = positive("call timeout", timeout);
            return this;
        }

        /**
         * How long a call keeps asking the seeds for the routing while none answers, as long as the client has
         * never had a routing (default: the whole call timeout). Waiting suits a workload that starts while its
         * cluster restarts; a one-shot command should rather say at once that nothing answers: {@code sluice kv
         * get} against a closed port took the whole 30 s to say so, where the admin commands took one attempt.
         * {@link Duration#ZERO} asks each seed once.
         */
        public Builder firstRoutingWait(Duration wait) {
            if (wait == null || wait.isNegative()) {
                throw new IllegalArgumentException("first routing wait must be zero or positive, got " + wait);
            }
            this.firstRoutingWait = wait;
            return this;
        }

        /**
         * How long one HTTP attempt waits for its answer (default {@link #DEFAULT_REQUEST_TIMEOUT}, 750 ms, which
         * says why). A longer one only delays giving up on a node that does not answer: a slow write is not cut
         * short by a shorter one, since its retries join it.
         */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive("request timeout", timeout);
            return this;
        }

        /**
         * How long opening a connection may take, TLS handshake included (default {@link #DEFAULT_CONNECT_TIMEOUT}, 250 ms,
         * or {@link #DEFAULT_TLS_CONNECT_TIMEOUT}, 2 s, when a seed is {@code https://}).
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive("connect timeout", timeout);
            return this;
        }

        /**
         * How long a node whose request timed out or could not connect is kept away from (default
         * {@link #DEFAULT_SUSPECT_PENALTY}, 2 s, which says why). It ends early when the node answers a request
         * sent to it anyway (when every candidate is suspect).
         */
        public Builder suspectPenalty(Duration penalty) {
            this.suspectPenalty = positive("suspect penalty", penalty);
            return this;
        }

        /** The first and the largest backoff between retries (defaults 20 ms and 250 ms). */
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
            if (firstRoutingWait != null && firstRoutingWait.compareTo(callTimeout) > 0) {
                throw new IllegalArgumentException("first routing wait " + firstRoutingWait + " is longer than the call timeout " + callTimeout
                        + ", which ends every call");
            }
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new IllegalArgumentException("max backoff " + maxBackoff + " is below the initial backoff " + initialBackoff);
            }
            if (random == null) {
                random = RandomGenerator.of("L64X128MixRandom");
            }
            if (connectTimeout == null) {
                connectTimeout = seeds.stream().anyMatch(seed -> "https".equalsIgnoreCase(seed.getScheme())) ? DEFAULT_TLS_CONNECT_TIMEOUT
                        : DEFAULT_CONNECT_TIMEOUT;
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
