package dev.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.metadata.Json;
import dev.sluice.model.NodeConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * Sends a shutdown request on to the node it names and relays that node's answer: only the process that stops can
 * hand its leaderships over and exit. The request goes once, to the node's HTTP address in the nodes configuration,
 * naming the incarnation it was resolved to (so a node that restarted meanwhile refuses it as stale), with the
 * caller's {@code Authorization} header and {@link AdminApi#FORWARDED_BY_HEADER}, which keeps the receiver from
 * forwarding it again.
 */
final class ShutdownForwarding {

    /** A node on the cluster's network accepts a connection in milliseconds; one that does not within this is not answering. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /**
     * The receiver answers before it hands anything over (its handover runs on a thread of its own), after one read of
     * the nodes configuration; this leaves room for a slow metadata store and stays well under the CLI's own 30 s.
     */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http;

    /** @param tls the node's TLS context, for nodes that serve {@code https://}; empty without TLS */
    ShutdownForwarding(Optional<SSLContext> tls) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT);
        tls.ifPresent(builder::sslContext);
        this.http = builder.build();
    }

    /**
     * @param label the node as operators read it ({@code N3 (worker-3)})
     * @param authorization the caller's {@code Authorization} header, passed on as it came
     * @param from this node as the receiver will name it in its log and status
     */
    ApiResponse forward(NodeConfig node, String label, Optional<String> authorization, String from) {
        URI uri = node.addresses().http().resolve("/api/v1/nodes/" + node.id() + "/shutdown");
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).POST(HttpRequest.BodyPublishers.noBody())
                .header("Accept", "application/json")
                .header(AdminApi.FORWARDED_BY_HEADER, from);
        authorization.ifPresent(value -> request.header("Authorization", value));
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException | HttpConnectTimeoutException refused) {
            return ApiResponse.error(503, "unavailable", label + " does not answer at " + node.addresses().http()
                    + " (" + describe(refused) + "): it may have just stopped, or be cut off from " + from + ". Nothing was asked of it");
        } catch (HttpTimeoutException slow) {
            return ApiResponse.error(503, "unavailable", label + " took the request at " + node.addresses().http() + " but did not answer within "
                    + REQUEST_TIMEOUT.toSeconds() + " s: it may or may not be shutting down. Ask again: a second request changes nothing");
        } catch (IOException failed) {
            return ApiResponse.error(503, "unavailable", label + " could not be asked at " + node.addresses().http() + ": " + describe(failed));
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return ApiResponse.error(503, "unavailable", "interrupted while asking " + label + " to shut down");
        }
        try {
            JsonNode body = Json.mapper().readTree(response.body());
            if (body != null && body.isObject()) {
                return new ApiResponse(response.statusCode(), body);
            }
        } catch (IOException notJson) {
            // Answered below.
        }
        return ApiResponse.error(503, "unavailable", label + "'s address " + node.addresses().http() + " answered HTTP " + response.statusCode()
                + " with a body that is not Sluice's: is another server on that address?");
    }

    private static String describe(Exception failure) {
        return failure.getMessage() == null || failure.getMessage().isBlank() ? failure.getClass().getSimpleName() : failure.getMessage();
    }
}
