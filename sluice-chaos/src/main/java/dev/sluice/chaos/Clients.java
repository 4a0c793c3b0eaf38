package dev.sluice.chaos;

import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceClientException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;

/**
 * Clients of the data API, each a thread with its own {@link SluiceClient}, reading and writing a few keys
 * at random (seeded) so that operations on a key overlap often. Every value written is unique in the run
 * ({@code c<client>-<n>}), which lets a read name the write it saw. Each invocation and its outcome goes to
 * the {@link History}: a write that ended without an acknowledgement is {@link Op.Outcome#UNKNOWN}
 * (Sluice's client retries a write, so any failure after the first attempt may follow an applied write)
 * unless the client refused it before sending.
 */
final class Clients {

    static final int CLIENTS = 4;
    static final int KEYS = 6;
    /** Pause between a client's operations, so a long run's history stays checkable (a few hundred ops per key per minute). */
    static final Duration MAX_THINK_TIME = Duration.ofMillis(150);
    /** Well under the default 30 s, so a client stuck on a frozen node gives up and the history stays dense. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    private final List<URI> nodes;
    private final History history;
    private final long seed;
    private final long startNanos;
    private final AtomicBoolean running = new AtomicBoolean();
    /** The cluster's token: its nodes check credentials, and the data API needs one with the data scope. */
    private final String token;
    private final List<Thread> threads = new ArrayList<>();

    private final SSLContext tls;

    Clients(List<URI> nodes, String token, History history, long seed, long startNanos, SSLContext tls) {
        this.tls = tls;
        this.nodes = List.copyOf(nodes);
        this.token = token;
        this.history = history;
        this.seed = seed;
        this.startNanos = startNanos;
    }

    static String key(int index) {
        return "chaos-" + index;
    }

    /** The client's own request, connect and suspicion defaults: the run measures what users get. */
    static SluiceClient newClient(List<URI> nodes, String token, long seed, SSLContext tls) {
        return SluiceClient.builder().seeds(nodes).token(token).tls(tls).callTimeout(CALL_TIMEOUT).random(new Random(seed)).build();
    }

    void start() {
        running.set(true);
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            threads.add(Thread.ofPlatform().name("chaos-client-" + c).daemon().start(() -> loop(client)));
        }
    }

    /** Stops the clients after their current operation; waits at most a call timeout for it. */
    void stop() throws InterruptedException {
        running.set(false);
        for (Thread thread : threads) {
            thread.join(CALL_TIMEOUT.plusSeconds(5).toMillis());
        }
    }

    private void loop(int client) {
        Random random = new Random(seed * 31 + client);
        int sequence = 0;
        try (SluiceClient sluice = newClient(nodes, token, seed * 17 + client, tls)) {
            while (running.get()) {
                String key = key(random.nextInt(KEYS));
                if (random.nextBoolean()) {
                    write(sluice, client, key, "c" + client + "-" + sequence++);
                } else {
                    read(sluice, client, key);
                }
                LockSupport.parkNanos(MAX_THINK_TIME.toNanos() * random.nextInt(101) / 100);
            }
        }
    }

    private void write(SluiceClient sluice, int client, String key, String value) {
        int id = history.nextId();
        long invoked = System.nanoTime() - startNanos;
        try {
            sluice.put(key, value);
            history.add(new Op(id, client, Op.Kind.WRITE, key, value, invoked, System.nanoTime() - startNanos, Op.Outcome.OK, null));
        } catch (SluiceClientException failed) {
            Op.Outcome outcome = switch (failed.code()) {
                // A refused credential is refused before the write reaches Raft: it did not happen.
                case MALFORMED_KEY, VALUE_TOO_LARGE, UNAUTHORIZED -> Op.Outcome.FAILED;
                case WRONG_PARTITION, UNKNOWN_PARTITION, REJECTED, DEADLINE_EXCEEDED, NO_ROUTE, INTERRUPTED -> Op.Outcome.UNKNOWN;
            };
            history.add(new Op(id, client, Op.Kind.WRITE, key, value, invoked, System.nanoTime() - startNanos, outcome, failed.code().wireName()));
        }
    }

    /** A read; also used for the final reads, with its own process number. */
    Op read(SluiceClient sluice, int client, String key) {
        int id = history.nextId();
        long invoked = System.nanoTime() - startNanos;
        Op op;
        try {
            Optional<String> value = sluice.getString(key);
            op = new Op(id, client, Op.Kind.READ, key, value.orElse(null), invoked, System.nanoTime() - startNanos, Op.Outcome.OK, null);
        } catch (SluiceClientException failed) {
            op = new Op(id, client, Op.Kind.READ, key, null, invoked, System.nanoTime() - startNanos, Op.Outcome.FAILED, failed.code().wireName());
        }
        history.add(op);
        return op;
    }
}
