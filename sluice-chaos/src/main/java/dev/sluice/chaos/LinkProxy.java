package dev.sluice.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A user-space TCP relay that makes links slow or lossy ({@link LinkImpairment}), for a kernel without
 * {@code netem}. It listens in the root namespace on the bridge's address, one port per destination
 * ({@link #route}); iptables rules inside the hosts' namespaces send their connections to that port instead
 * of the destination ({@link HostNetwork#redirect}), and the relay forwards them, holding each chunk for a
 * drawn latency, stalling a direction now and then, and resetting some connections.
 *
 * <p>It only relays between the run's hosts: a destination must be one of them, and a connection from
 * any other address is closed at once. Owns its listening sockets, every relayed socket and their threads;
 * {@link #close()} ends all of them.
 *
 * <p>Draws come from a seeded generator per connection (seed and the connection's number), so a run's
 * impairments are the same kind and size from the same seed; which connection gets which draw depends on
 * the order the nodes connect in, which no seed fixes.
 */
final class LinkProxy implements AutoCloseable {

    static final int CHUNK_BYTES = 16 * 1024;
    /** Chunks held per direction; when full, the relay stops reading, and TCP's flow control holds the sender back. */
    static final int MAX_QUEUED_CHUNKS = 256;
    static final java.time.Duration CONNECT_TIMEOUT = java.time.Duration.ofSeconds(2);
    /** Relayed connections open at once; more are refused, since a run opens a few dozen. */
    static final int MAX_CONNECTIONS = 1_000;
    /** Destinations one proxy serves: every other node's two ports, for every node, with room. */
    static final int MAX_ROUTES = 64;

    /** What the relay did so far. */
    record Counts(long connections, long refused, long resets, long stalls, long bytes) {
        String describe() {
            return connections + " connections relayed, " + resets + " reset, " + stalls + " stalls, " + refused + " refused, " + bytes + " bytes";
        }
    }

    private static final byte[] END = new byte[0];

    /** One chunk to write no earlier than {@code dueNanos}; {@link #END} marks the end of the stream. */
    private record Chunk(byte[] bytes, long dueNanos) {}

    private final InetAddress bindAddress;
    private final Set<InetAddress> runHosts;
    private final LinkImpairment impairment;
    private final long seed;
    private final Map<InetSocketAddress, ServerSocket> routes = new LinkedHashMap<>();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong resets = new AtomicLong();
    private final AtomicLong stalls = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param bindAddress where the relay listens (the bridge's address: every host reaches it)
     * @param runHosts the only addresses it accepts connections from and relays to
     */
    LinkProxy(InetAddress bindAddress, Set<InetAddress> runHosts, LinkImpairment impairment, long seed) {
        this.bindAddress = bindAddress;
        this.runHosts = Set.copyOf(runHosts);
        this.impairment = impairment;
        this.seed = seed;
    }

    LinkImpairment impairment() {
        return impairment;
    }

    /**
     * The address to send connections for {@code destination} to; opens a listening port for it the first
     * time.
     *
     * @throws IllegalArgumentException if {@code destination} is not one of the run's hosts
     */
    synchronized InetSocketAddress route(InetSocketAddress destination) throws IOException {
        if (closed) {
            throw new IllegalStateException("the proxy is closed");
        }
        if (!runHosts.contains(destination.getAddress())) {
            throw new IllegalArgumentException("the proxy relays only to the run's hosts " + runHosts + ", not to " + destination);
        }
        ServerSocket existing = routes.get(destination);
        if (existing != null) {
            return (InetSocketAddress) existing.getLocalSocketAddress();
        }
        if (routes.size() >= MAX_ROUTES) {
            throw new IllegalStateException("the proxy already serves " + MAX_ROUTES + " destinations");
        }
        ServerSocket listener = new ServerSocket(0, 50, bindAddress);
        routes.put(destination, listener);
        Thread.ofVirtual().name("link-proxy-accept-" + listener.getLocalPort()).start(() -> accept(listener, destination));
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    private void accept(ServerSocket listener, InetSocketAddress destination) {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException stopped) {
                return;
            }
            if (!runHosts.contains(client.getInetAddress()) || openConnections() >= MAX_CONNECTIONS) {
                refused.incrementAndGet();
                closeQuietly(client);
                continue;
            }
            long number = connections.incrementAndGet();
            Thread.ofVirtual().name("link-proxy-connect-" + number).start(() -> relay(client, destination, number));
        }
    }

    private void relay(Socket client, InetSocketAddress destination, long number) {
        Socket server = new Socket();
        open.add(client);
        open.add(server);
        try {
            server.connect(destination, (int) CONNECT_TIMEOUT.toMillis());
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
        } catch (IOException unreachable) {
            close(client, server);
            return;
        }
        if (closed) {
            close(client, server);
            return;
        }
        Random draws = new Random(seed ^ (number * 0x9E3779B97F4A7C15L));
        java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
        direction(client, server, new Random(draws.nextLong()), ended);
        direction(server, client, new Random(draws.nextLong()), ended);
        if (draws.nextDouble() < impairment.resetChance()) {
            long afterNanos = (long) (draws.nextDouble() * impairment.maxResetAfter().toNanos());
            Thread.ofVirtual().name("link-proxy-reset-" + number).start(() -> {
                try {
                    TimeUnit.NANOSECONDS.sleep(afterNanos);
                } catch (InterruptedException interrupted) {
                    return;
                }
                if (!client.isClosed()) {
                    resets.incrementAndGet();
                    reset(client);
                    reset(server);
                    close(client, server);
                }
            });
        }
    }

    /**
     * Relays {@code from} to {@code to}: a reader that stamps each chunk with its due time, a writer that waits
     * for it. Whichever fails first closes both sockets and interrupts the other, which may be blocked on the
     * queue rather than on a socket.
     */
    private void direction(Socket from, Socket to, Random random, java.util.concurrent.atomic.AtomicInteger ended) {
        BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(MAX_QUEUED_CHUNKS);
        Thread[] pair = new Thread[2];
        pair[0] = Thread.ofVirtual().unstarted(() -> {
            long lastDue = 0;
            // Not closed here: closing a socket's stream closes the socket, and the other direction may still be talking.
            try {
                InputStream in = from.getInputStream();
                byte[] buffer = new byte[CHUNK_BYTES];
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    // Due times never go backwards, so a stall or a long draw holds back everything behind it, as in TCP.
                    long due = Math.max(lastDue, System.nanoTime() + between(random, impairment.minLatency(), impairment.maxLatency()));
                    if (random.nextDouble() < impairment.stallChance()) {
                        stalls.incrementAndGet();
                        due += between(random, impairment.minStall(), impairment.maxStall());
                    }
                    lastDue = due;
                    queue.put(new Chunk(Arrays.copyOf(buffer, read), due));
                }
                queue.put(new Chunk(END, lastDue));
            } catch (IOException | InterruptedException gone) {
                close(from, to);
                pair[1].interrupt();
            }
        });
        pair[1] = Thread.ofVirtual().unstarted(() -> {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Chunk chunk = queue.take();
                    long wait = chunk.dueNanos() - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    if (chunk.bytes() == END) {
                        // A half-close passes through, so a peer that finished sending still gets its answer.
                        to.shutdownOutput();
                        if (ended.incrementAndGet() == 2) {
                            close(from, to);
                        }
                        return;
                    }
                    out.write(chunk.bytes());
                    out.flush();
                    bytes.addAndGet(chunk.bytes().length);
                }
            } catch (IOException | InterruptedException gone) {
                close(from, to);
                pair[0].interrupt();
            }
        });
        pair[0].start();
        pair[1].start();
    }

    private static long between(Random random, java.time.Duration min, java.time.Duration max) {
        return min.toNanos() + (long) (random.nextDouble() * (max.toNanos() - min.toNanos()));
    }

    /** An abortive close: the peer gets a TCP reset instead of an orderly end of stream. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException alreadyClosed) {
            // Nothing left to reset.
        }
    }

    private void close(Socket a, Socket b) {
        closeQuietly(a);
        closeQuietly(b);
        open.remove(a);
        open.remove(b);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // Closing anyway.
        }
    }

    Counts counts() {
        return new Counts(connections.get(), refused.get(), resets.get(), stalls.get(), bytes.get());
    }

    /** Connections relayed now. */
    int openConnections() {
        return open.size() / 2;
    }

    /** Stops listening and drops every relayed connection; the hosts reconnect directly once their rules are gone. */
    @Override
    public void close() {
        List<ServerSocket> listeners;
        synchronized (this) {
            closed = true;
            listeners = new ArrayList<>(routes.values());
        }
        listeners.forEach(LinkProxy::closeQuietly);
        for (Socket socket : List.copyOf(open)) {
            closeQuietly(socket);
        }
        open.clear();
    }
}
