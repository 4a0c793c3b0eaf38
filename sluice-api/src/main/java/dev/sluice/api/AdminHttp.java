package dev.sluice.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.metadata.Json;
import dev.sluice.metadata.MetadataUnavailableException;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's routes on a node's HTTP server. Mutating routes require the bearer token when one is
 * configured; the comparison takes the same time whatever the guess, and tokens are never logged.
 *
 * <pre>
 * GET  /api/v1/cluster                 the cluster at a glance
 * GET  /api/v1/nodes                   every node
 * GET  /api/v1/nodes/{node}            one node, by plain id (N3) or name
 * POST /api/v1/nodes/{node}/state      {"state": "draining", "reason": "…", "force": false, "dryRun": false}
 * GET  /api/v1/nodes/{node}/drain      the drain progress object
 * GET  /api/v1/partitions              every partition's replica sets
 * GET  /api/v1/partitions/{id}         one partition
 * GET  /api/v1/events?since=&limit=    the event log
 * GET  /api/v1/openapi.json            this API, described
 * </pre>
 */
public final class AdminHttp {

    private static final Logger log = LoggerFactory.getLogger(AdminHttp.class);
    static final String OPENAPI_RESOURCE = "/dev/sluice/api/openapi.json";

    private final AdminApi api;
    private final byte[] token;

    private AdminHttp(AdminApi api, Optional<String> token) {
        this.api = api;
        this.token = token.filter(t -> !t.isBlank()).map(t -> t.getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    /** Adds the admin routes to {@code config}; {@code token}, when present, guards every mutating route. */
    public static void install(JavalinConfig config, AdminApi api, Optional<String> token) {
        AdminHttp http = new AdminHttp(api, token);
        byte[] openApi = loadOpenApi();
        config.routes.get("/api/v1/cluster", ctx -> http.answer(ctx, api.cluster()));
        config.routes.get("/api/v1/nodes", ctx -> http.answer(ctx, api.nodes()));
        config.routes.get("/api/v1/nodes/{node}", ctx -> http.answer(ctx, api.node(ctx.pathParam("node"))));
        config.routes.get("/api/v1/nodes/{node}/drain", ctx -> http.answer(ctx, api.drain(ctx.pathParam("node"))));
        config.routes.post("/api/v1/nodes/{node}/state", ctx -> {
            if (http.authorized(ctx)) {
                if (ctx.contentLength() > AdminApi.MAX_BODY_BYTES) {
                    http.answer(ctx, ApiResponse.error(413, "payload-too-large", "the request body is " + ctx.contentLength()
                            + " bytes; the limit is " + AdminApi.MAX_BODY_BYTES));
                    return;
                }
                http.answer(ctx, api.requestState(ctx.pathParam("node"), readBounded(ctx)));
            }
        });
        config.routes.get("/api/v1/partitions", ctx -> http.answer(ctx, api.partitions()));
        config.routes.get("/api/v1/partitions/{partition}", ctx -> http.answer(ctx, api.partition(ctx.pathParam("partition"))));
        config.routes.get("/api/v1/events", ctx -> http.answer(ctx, api.events(ctx.queryParam("since"), ctx.queryParam("limit"))));
        config.routes.get("/api/v1/openapi.json", ctx -> ctx.status(200).contentType("application/json").result(openApi));
        config.routes.exception(MetadataUnavailableException.class, (e, ctx) ->
                http.answer(ctx, ApiResponse.error(503, "unavailable", "the metadata store is not reachable: " + e.getMessage())));
        config.routes.exception(Exception.class, (e, ctx) -> {
            log.error("admin API request {} {} failed", ctx.method(), ctx.path(), e);
            http.answer(ctx, ApiResponse.error(500, "internal", "the request failed unexpectedly: " + e.getClass().getSimpleName()
                    + "; see the node's log"));
        });
    }

    /** Reads at most one byte more than the limit, so an oversized body without a length is still refused. */
    private static byte[] readBounded(Context ctx) throws IOException {
        try (InputStream in = ctx.req().getInputStream()) {
            return in.readNBytes(AdminApi.MAX_BODY_BYTES + 1);
        }
    }

    private boolean authorized(Context ctx) {
        if (token == null) {
            return true;
        }
        String header = ctx.header("Authorization");
        byte[] offered = header != null && header.startsWith("Bearer ")
                ? header.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (MessageDigest.isEqual(offered, token)) {
            return true;
        }
        ctx.header("WWW-Authenticate", "Bearer realm=\"sluice\"");
        answer(ctx, ApiResponse.error(401, "unauthorized", header == null
                ? "this cluster requires a token: pass --token or set SLUICE_TOKEN (a local cluster writes it to <data-dir>/token)"
                : "the token is wrong"));
        return false;
    }

    private void answer(Context ctx, ApiResponse response) {
        try {
            ctx.status(response.status()).contentType("application/json").result(Json.mapper().writeValueAsBytes(response.body()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("BUG: cannot write an API response", e);
        }
    }

    private static byte[] loadOpenApi() {
        try (InputStream in = AdminHttp.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("BUG: " + OPENAPI_RESOURCE + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("BUG: cannot read " + OPENAPI_RESOURCE, e);
        }
    }
}
