package dev.sluice.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.metadata.Json;
import dev.sluice.wire.ApiError;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;

/** The CLI's side of the admin API: one request, one JSON answer, errors turned into {@link CliException}s. */
final class AdminClient {

    /** Covers the TLS handshake too; 3 s was not enough for a node of a local cluster at a load average of 30. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** How much of a body that is not Sluice's is quoted in a message: enough to recognise it, not a page of HTML. */
    static final int MAX_QUOTED_CHARS = 200;

    private final URI base;
    private final ClusterOptions.Target target;
    private final Optional<ClusterOptions.Credential> credential;
    private final Optional<ClusterOptions.Trust> trust;
    private final HttpClient http;

    /** @param trust what an {@code https://} node must present a certificate of; empty trusts the JDK's default CAs */
    AdminClient(ClusterOptions.Target target, Optional<ClusterOptions.Credential> credential, Optional<ClusterOptions.Trust> trust) {
        this.base = target.url();
        this.target = target;
        this.credential = credential;
        this.trust = trust;
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT);
        trust.ifPresent(t -> builder.sslContext(t.context()));
        this.http = builder.build();
    }

    /** A client of a cluster this process started itself, with the token and the CA it knows. */
    AdminClient(URI base, String token, String tokenOrigin, Optional<ClusterOptions.Trust> trust) {
        this(new ClusterOptions.Target(base, "--url"), Optional.of(new ClusterOptions.Credential(token, tokenOrigin, Optional.empty())), trust);
    }

    /** A client of another node of the same cluster, with the same credential and trust: for following a cluster whose nodes restart. */
    AdminClient at(URI otherNode) {
        return new AdminClient(new ClusterOptions.Target(otherNode, "the cluster's node list"), credential, trust);
    }

    URI url() {
        return base;
    }

    /**
     * An answer: its status and JSON body. The body stays a tree until the caller, who knows which answer it
     * asked for, reads it as a wire record; {@code -o json} prints the tree, so it shows fields this CLI does
     * not know yet.
     */
    record Answer(int status, JsonNode body) {
        boolean ok() {
            return status / 100 == 2;
        }

        <T> T as(Class<T> type) {
            return read(body, type);
        }

        /** What an error answer says, in words; the whole body if it says nothing. */
        String message() {
            String message = as(ApiError.class).message();
            return message == null ? body.toString() : message;
        }
    }

    /** Reads need the credential too when the cluster checks credentials (the {@code read} scope). */
    Answer get(String path) {
        return authorized(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    Answer post(String path, ObjectNode body) {
        return authorized(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    Answer put(String path, ObjectNode body) {
        return authorized(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    /** A POST without a body, for a route that takes none. */
    Answer post(String path) {
        return authorized(HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    Answer delete(String path) {
        return authorized(HttpRequest.newBuilder(base.resolve(path)).DELETE());
    }

    /**
     * Sends a request with the credential; a 401 is explained with what to do about the token, a 403 (a credential
     * without the scope the request needs) with the server's words, which name the credential and the scope.
     */
    private Answer authorized(HttpRequest.Builder request) {
        credential.ifPresent(c -> request.header("Authorization", "Bearer " + c.value()));
        Answer answer = send(request);
        if (answer.status() == 401) {
            throw new CliException(CliException.FAILED, TokenAdvice.explain(base, credential, answer.message()));
        }
        if (answer.status() == 403) {
            throw new CliException(CliException.FAILED, "refused: " + answer.message() + credential.map(c -> " (the token came from " + c.origin()
                    + ")").orElse(""));
        }
        return answer;
    }

    /** Fetches and fails unless the answer is 2xx. */
    JsonNode getOk(String path) {
        Answer answer = get(path);
        if (!answer.ok()) {
            throw new CliException(CliException.FAILED, answer.message());
        }
        return answer.body();
    }

    /** Fetches {@code path}, fails unless the answer is 2xx, and reads the body as {@code type}. */
    <T> T getOk(String path, Class<T> type) {
        return read(getOk(path), type);
    }

    /** The same, for an answer that is a JSON array of {@code element}. */
    <T> List<T> getOkList(String path, Class<T> element) {
        return readList(getOk(path), element);
    }

    /**
     * {@code body} as the wire record {@code type}. A body that does not read as one comes from a server that
     * does not speak this CLI's version of the API.
     */
    static <T> T read(JsonNode body, Class<T> type) {
        try {
            return Json.mapper().treeToValue(body, type);
        } catch (JsonProcessingException | IllegalArgumentException unreadable) {
            throw unreadable(type.getSimpleName(), unreadable);
        }
    }

    static <T> List<T> readList(JsonNode body, Class<T> element) {
        try {
            return Json.mapper().readerForListOf(element).readValue(body);
        } catch (IOException | IllegalArgumentException unreadable) {
            throw unreadable("list of " + element.getSimpleName(), unreadable);
        }
    }

    private static CliException unreadable(String what, Exception cause) {
        return new CliException(CliException.FAILED, "the cluster answered something this CLI cannot read as a " + what + " (a different Sluice "
                + "version?): " + cause.getMessage().lines().findFirst().orElse(""));
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    URI base() {
        return base;
    }

    private Answer send(HttpRequest.Builder builder) {
        HttpRequest request = builder.timeout(REQUEST_TIMEOUT).header("Accept", "application/json").build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode body = sluiceBody(response).orElseThrow(() -> notSluice(request.uri(), response));
            return new Answer(response.statusCode(), body);
        } catch (IOException failed) {
            throw unreachable(base + target.originNote(), base.getScheme(), trustAdvice(), failed);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.FAILED, "interrupted");
        }
    }

    /**
     * What a request that got no answer tells the operator, by how it failed.
     *
     * @param where the address and where it came from
     * @param trustAdvice what to check when the TLS handshake failed
     */
    static CliException unreachable(String where, String scheme, String trustAdvice, IOException failure) {
        if (failure instanceof HttpTimeoutException && !(failure instanceof HttpConnectTimeoutException)) {
            return new CliException(CliException.UNREACHABLE, "the cluster at " + where + " did not answer within " + REQUEST_TIMEOUT.toSeconds() + " s");
        }
        String why = switch (failure) {
            // A node too busy to finish a (TLS) connection in time is running: "nothing answers there" sent an
            // operator looking for a stopped cluster (seen at a load average of 30).
            case HttpConnectTimeoutException slowToConnect -> ": no connection within " + CONNECT_TIMEOUT.toSeconds()
                    + " s (the node is overloaded, or something between drops the packets); try again, or another node with --url";
            case ConnectException refused -> ": nothing answers there. Is it running? (start one with './sluice local', or pass --url / set SLUICE_URL)";
            case SSLException tls -> " over TLS: " + tls.getMessage() + ". " + trustAdvice;
            // A plain-HTTP request to an HTTPS port is answered by a closed connection, nothing a client can tell apart.
            default -> ": " + failure.getMessage() + ("http".equalsIgnoreCase(scheme) ? " (if the cluster serves HTTPS, use an https:// address)" : "");
        };
        return new CliException(CliException.UNREACHABLE, "cannot reach the cluster at " + where + why);
    }

    /**
     * The answer's JSON, if it is one Sluice could have sent: Sluice's admin API answers every request with a
     * JSON body, and every error with an {@code error} code. Anything else comes from another server on that
     * address, and printing its body as Sluice's message once showed an operator nothing but {@code {}}.
     * The body is looked at as a tree, not as a wire record: it may be anything a server that is not Sluice's
     * sends.
     */
    private static Optional<JsonNode> sluiceBody(HttpResponse<String> response) {
        if (response.body().isBlank()) {
            return Optional.empty();
        }
        JsonNode body;
        try {
            body = Json.mapper().readTree(response.body());
        } catch (IOException notJson) {
            return Optional.empty();
        }
        boolean ok = response.statusCode() / 100 == 2;
        return ok || body.path("error").isTextual() ? Optional.of(body) : Optional.empty();
    }

    /**
     * A server error is the node's own failure, reported as such; any other answer without Sluice's shape means
     * something else answers on that address, which is the cluster not being reachable there.
     */
    private CliException notSluice(URI uri, HttpResponse<String> response) {
        String what = response.body().isBlank() ? "an empty body" : "a body that is not Sluice's API";
        if (response.statusCode() / 100 == 5) {
            return new CliException(CliException.FAILED, uri + " answered HTTP " + response.statusCode() + " with " + what
                    + (response.body().isBlank() ? "" : ": " + abbreviate(response.body().strip())));
        }
        return new CliException(CliException.UNREACHABLE, uri + " answered HTTP " + response.statusCode() + " with " + what
                + ": not a Sluice node? Check the address" + target.originNote() + "; pass --url or set SLUICE_URL");
    }

    private String trustAdvice() {
        return trust.map(t -> "This CLI trusts only the CA from " + t.origin() + ": is it this cluster's CA?")
                .orElse("This CLI has no CA for this address and trusts only the JDK's default CAs: give the cluster's CA with --tls-ca FILE or"
                        + " SLUICE_TLS_CA (a 'sluice local' cluster's is <data-dir>/certs/ca.crt)");
    }

    private static String abbreviate(String text) {
        String line = text.lines().findFirst().orElse("");
        return line.length() <= MAX_QUOTED_CHARS ? line : line.substring(0, MAX_QUOTED_CHARS) + "…";
    }
}
