package dev.sluice.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP server on loopback standing in for a node (or for something that is not one): it answers each
 * {@code METHOD /path} with the answer set for it, else with {@link #otherwise}, and records what it was sent.
 * A POST is answered only with the right bearer token when one is required, as a Sluice node does.
 */
final class FakeNode implements AutoCloseable {

    record Answer(int status, String body) {}

    record Request(String method, String path, Optional<String> authorization) {}

    private final HttpServer server;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile Answer otherwise = new Answer(404, "{\"error\": \"not-found\", \"message\": \"no such route\"}");
    private volatile Optional<String> requiredToken = Optional.empty();

    FakeNode() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    FakeNode answer(String method, String path, int status, String body) {
        answers.put(method + " " + path, new Answer(status, body));
        return this;
    }

    FakeNode otherwise(int status, String body) {
        otherwise = new Answer(status, body);
        return this;
    }

    FakeNode requireToken(String token) {
        requiredToken = Optional.of(token);
        return this;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            Optional<String> authorization = Optional.ofNullable(exchange.getRequestHeaders().getFirst("Authorization"));
            requests.add(new Request(method, path, authorization));
            Answer answer = answers.getOrDefault(method + " " + path, otherwise);
            if (method.equals("POST") && requiredToken.isPresent() && !authorization.equals(requiredToken.map(t -> "Bearer " + t))) {
                answer = new Answer(401, "{\"error\": \"unauthorized\", \"message\": \"the token is wrong\"}");
            }
            byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
