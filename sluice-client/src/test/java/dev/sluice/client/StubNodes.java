package dev.sluice.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.client.wire.DataApi;
import dev.sluice.client.wire.ErrorBody;
import dev.sluice.client.wire.RoutingInfo;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * Stand-ins for nodes in the client's tests: a {@link Frozen} node (a process stopped with {@code SIGSTOP}
 * looks like this from outside: the kernel still accepts connections, nothing ever answers) and a
 * {@link Scripted} node that serves a given routing and answers writes as a test scripts them, recording
 * each write's headers.
 */
final class StubNodes {

    private StubNodes() {}

    static final ObjectMapper JSON = JsonMapper.builder().build();

    /** Accepts connections and never reads or answers; counts the connections it accepted. */
    static final class Frozen implements AutoCloseable {
        private final ServerSocket listener;
        private final Set<Socket> held = ConcurrentHashMap.newKeySet();
        private final AtomicInteger accepted = new AtomicInteger();

        Frozen() throws IOException {
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().name("frozen-node-" + listener.getLocalPort()).start(() -> {
                while (!listener.isClosed()) {
                    try {
                        held.add(listener.accept());
                        accepted.incrementAndGet();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + listener.getLocalPort());
        }

        int accepted() {
            return accepted.get();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    /** One write a {@link Scripted} node received: its request id and timeout headers. */
    record Write(String requestId, String timeoutMillis) {}

    /** What a scripted node answers to a write: a status and, for errors, a body. */
    record Answer(int status, ErrorBody body) {
        static Answer ok() {
            return new Answer(204, null);
        }

        static Answer notLeader(String leader, URI leaderUrl) {
            return new Answer(421, new ErrorBody("not-leader", "not the leader", "P0", leader, leaderUrl.toString()));
        }

        static Answer noLeader() {
            return new Answer(503, ErrorBody.of("no-leader", "electing"));
        }

        static Answer timeout() {
            return new Answer(504, ErrorBody.of("timeout", "not committed in time"));
        }
    }

    /** Serves {@link #routing(RoutingInfo)} and answers the n-th write (from 0) with {@code script.apply(n)}. */
    static final class Scripted implements AutoCloseable {
        private final HttpServer server;
        private final AtomicReference<RoutingInfo> routing = new AtomicReference<>();
        private final List<Write> writes = new CopyOnWriteArrayList<>();
        private volatile IntFunction<Answer> script = n -> Answer.ok();

        Scripted() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            server.createContext(DataApi.ROUTING_PATH, exchange -> respond(exchange, 200, JSON.writeValueAsBytes(routing.get())));
            server.createContext(DataApi.KV_PATH, this::write);
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        void routing(RoutingInfo info) {
            routing.set(info);
        }

        void script(IntFunction<Answer> answers) {
            this.script = answers;
        }

        List<Write> writes() {
            return List.copyOf(writes);
        }

        private void write(HttpExchange exchange) throws IOException {
            try (InputStream body = exchange.getRequestBody()) {
                body.readAllBytes();
            }
            int n;
            synchronized (writes) {
                n = writes.size();
                writes.add(new Write(exchange.getRequestHeaders().getFirst(DataApi.REQUEST_ID_HEADER),
                        exchange.getRequestHeaders().getFirst(DataApi.TIMEOUT_HEADER)));
            }
            Answer answer = script.apply(n);
            respond(exchange, answer.status(), answer.body() == null ? null : JSON.writeValueAsBytes(answer.body()));
        }

        private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
            if (body == null) {
                exchange.sendResponseHeaders(status, -1);
            } else {
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(status, body.length);
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
