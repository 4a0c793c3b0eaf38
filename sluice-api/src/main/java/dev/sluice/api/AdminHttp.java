package dev.sluice.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.metadata.Json;
import dev.sluice.metadata.MetadataUnavailableException;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.jetty.io.EofException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's routes on a node's HTTP server. Who may call which route is {@link HttpAccess}'s to decide, and
 * it checks before any route here runs; a route only adds what its body decides (a forced change needs the
 * {@code admin} scope).
 *
 * <pre>
 * GET  /api/v1/cluster                 the cluster at a glance
 * GET  /api/v1/nodes                   every node
 * GET  /api/v1/nodes/{node}            one node, by name, plain id (N3) or current incarnation (N3:7)
 * DELETE /api/v1/nodes/{node}?reason=  remove a stopped, empty, disabled node for good (admin)
 * POST /api/v1/nodes/{node}/state      {"state": "draining", "reason": "…", "force": false, "dryRun": false}
 * POST /api/v1/nodes/{node}/cordon     {"reason": "…"}: no new replica or leadership; DELETE lifts it
 * POST /api/v1/nodes/{node}/replace    {"replacement": "worker-5", "reason": "…", "dryRun": false}; DELETE cancels it
 * GET  /api/v1/settings                the runtime throttles; PUT {"maxChangesPerNode": 2, "maxChangesInCluster": 8}
 * GET  /api/v1/nodes/{node}/drain      the drain progress object
 * POST /api/v1/drains                  {"nodes": [...]} or {"zone": "..."}, "deadlineSeconds", "dryRun": a group drain
 * GET  /api/v1/drains[/{drain}]        group drains and their progress; DELETE cancels one
 * POST /api/v1/nodes/{node}/shutdown   graceful shutdown of that node (forwarded to it when it is another); 202
 * GET  /api/v1/partitions              every partition's replica sets
 * GET  /api/v1/partitions/{id}         one partition
 * POST /api/v1/partitions/{id}/freeze  {"reason": "…"}: its replica set changes no more; DELETE unfreezes
 * POST /api/v1/partitions/{id}/pin-leader  {"node": "worker-2", "reason": "…"}; DELETE unpins
 * GET  /api/v1/events?since=&limit=    the event log
 * GET  /api/v1/credential              the caller's credential: its name and scopes
 * GET  /api/v1/openapi.json            this API, described
 * </pre>
 *
 * <p>It also answers, for the whole server, what no route takes: an unknown path gets a JSON 404 and a
 * known path with another method a JSON 405 with {@code Allow}, both in the {@code Error} shape the
 * document declares, so a client never has to parse Javalin's plain-text pages.
 */
public final class AdminHttp {

    private static final Logger log = LoggerFactory.getLogger(AdminHttp.class);
    static final String OPENAPI_RESOURCE = "/dev/sluice/api/openapi.json";
    /** How deep {@link #causedByEarlyEof} looks into a cause chain; Jetty wraps its exception once or twice. */
    private static final int MAX_CAUSES = 8;

    private AdminHttp() {}

    /**
     * Adds the admin routes to {@code config}; {@code token}, when present, is the one credential, with every scope
     * (an older {@code --token-file}).
     */
    public static void install(JavalinConfig config, AdminApi api, Optional<String> token) {
        install(config, () -> api, token);
    }

    /**
     * Adds the admin routes for an API that exists only once the node has started: until {@code started}
     * supplies one, requests are answered 503.
     */
    public static void install(JavalinConfig config, Supplier<AdminApi> started, Optional<String> token) {
        install(config, started, legacy(token));
    }

    /** The credentials of a node that has only an older {@code --token-file}: that token, with every scope. */
    public static CredentialSource legacy(Optional<String> token) {
        return token.filter(t -> !t.isBlank())
                .map(t -> CredentialSource.fixed(Credentials.of(List.of(Credentials.legacyToken(t, new SecureRandom())))))
                .orElse(CredentialSource.NONE);
    }

    /**
     * Adds the admin routes, and the credential check before every route of the server ({@link HttpAccess}), to
     * {@code config}. Until {@code started} supplies an API, admin requests are answered 503.
     */
    public static void install(JavalinConfig config, Supplier<AdminApi> started, CredentialSource credentials) {
        AdminHttp http = new AdminHttp();
        byte[] openApi = loadOpenApi();
        HttpAccess.install(config, credentials);
        config.routes.get("/api/v1/cluster", ctx -> http.answer(ctx, started, AdminApi::cluster));
        config.routes.get("/api/v1/nodes", ctx -> http.answer(ctx, started, AdminApi::nodes));
        config.routes.get("/api/v1/nodes/{node}", ctx -> http.answer(ctx, started, api -> api.node(ctx.pathParam("node"))));
        config.routes.get("/api/v1/nodes/{node}/drain", ctx -> http.answer(ctx, started, api -> api.drain(ctx.pathParam("node"))));
        config.routes.post("/api/v1/nodes/{node}/state", ctx -> http.withBoundedBody(ctx,
                body -> http.answer(ctx, started, api -> api.requestState(ctx.pathParam("node"), body, HttpAccess.caller(ctx)))));
        config.routes.post("/api/v1/nodes/{node}/maintenance", ctx -> http.withBoundedBody(ctx,
                body -> http.answer(ctx, started, api -> api.beginMaintenance(ctx.pathParam("node"), body, HttpAccess.caller(ctx)))));
        config.routes.delete("/api/v1/nodes/{node}/maintenance", ctx -> http.answer(ctx, started, api -> api.endMaintenance(ctx.pathParam("node"))));
        config.routes.post("/api/v1/nodes/{node}/cordon", ctx -> http.withBoundedBody(ctx,
                body -> http.answer(ctx, started, api -> api.cordon(ctx.pathParam("node"), body, HttpAccess.caller(ctx)))));
        config.routes.delete("/api/v1/nodes/{node}/cordon", ctx -> http.answer(ctx, started, api -> api.uncordon(ctx.pathParam("node"), HttpAccess.caller(ctx))));
        config.routes.post("/api/v1/nodes/{node}/replace", ctx -> http.withBoundedBody(ctx,
                body -> http.answer(ctx, started, api -> api.replace(ctx.pathParam("node"), body, HttpAccess.caller(ctx),
                        Optional.ofNullable(ctx.header("Authorization"))))));
        config.routes.delete("/api/v1/nodes/{node}/replace", ctx -> http.answer(ctx, started,
                api -> api.cancelReplace(ctx.pathParam("node"), HttpAccess.caller(ctx))));
        config.routes.get("/api/v1/settings", ctx -> http.answer(ctx, started, AdminApi::settings));
        config.routes.put("/api/v1/settings", ctx -> http.withBoundedBody(ctx,
                body -> http.answer(ctx, started, api -> api.changeSettings(body, HttpAccess.caller(ctx)))));
        config.routes.delete("/api/v1/nodes/{node}", ctx -> http.answer(ctx, started,
                api -> api.remove(ctx.pathParam("node"), ctx.queryParam("reason"), HttpAccess.caller(ctx))));
        config.routes.post("/api/v1/drains", ctx -> http.withBoundedBody(ctx,
                body -> http.answer(ctx, started, api -> api.drainGroups().start(body, HttpAccess.caller(ctx),
                        Optional.ofNullable(ctx.header("Authorization"))))));
        config.routes.get("/api/v1/drains", ctx -> http.answer(ctx, started, api -> api.drainGroups().list()));
        config.routes.get("/api/v1/drains/{drain}", ctx -> http.answer(ctx, started, api -> api.drainGroups().show(ctx.pathParam("drain"))));
        config.routes.delete("/api/v1/drains/{drain}", ctx -> http.answer(ctx, started,
                api -> api.drainGroups().cancel(ctx.pathParam("drain"), ctx.queryParam("reason"), HttpAccess.caller(ctx))));
        config.routes.post("/api/v1/rollouts", ctx -> http.withBoundedBody(ctx, body -> http.answer(ctx, started, api -> api.rollouts().start(body))));
        config.routes.get("/api/v1/rollouts/current", ctx -> http.answer(ctx, started, api -> api.rollouts().current()));
        config.routes.delete("/api/v1/rollouts/current", ctx -> http.answer(ctx, started, api -> api.rollouts().cancel()));
        // No body: what happens is the node's own setting, and the answer says it.
        config.routes.post("/api/v1/nodes/{node}/shutdown", ctx -> http.answer(ctx, started, api -> api.shutdown(ctx.pathParam("node"),
                Optional.ofNullable(ctx.header("Authorization")), Optional.ofNullable(ctx.header(AdminApi.FORWARDED_BY_HEADER)))));
        config.routes.get("/api/v1/partitions", ctx -> http.answer(ctx, started, api -> api.partitions(ctx.queryParam("limit"))));
        config.routes.get("/api/v1/partitions/{partition}", ctx -> http.answer(ctx, started, api -> api.partition(ctx.pathParam("partition"),
                Optional.ofNullable(ctx.header("Authorization")))));
        config.routes.post("/api/v1/partitions/{partition}/freeze", ctx -> http.withBoundedBody(ctx,
                body -> http.answer(ctx, started, api -> api.freeze(ctx.pathParam("partition"), true, body, HttpAccess.caller(ctx)))));
        config.routes.delete("/api/v1/partitions/{partition}/freeze", ctx -> http.answer(ctx, started,
                api -> api.freeze(ctx.pathParam("partition"), false, new byte[0], HttpAccess.caller(ctx))));
        config.routes.post("/api/v1/partitions/{partition}/pin-leader", ctx -> http.withBoundedBody(ctx,
                body -> http.answer(ctx, started, api -> api.pinLeader(ctx.pathParam("partition"), body, HttpAccess.caller(ctx)))));
        config.routes.delete("/api/v1/partitions/{partition}/pin-leader", ctx -> http.answer(ctx, started,
                api -> api.unpinLeader(ctx.pathParam("partition"), HttpAccess.caller(ctx))));
        config.routes.get("/api/v1/events", ctx -> http.answer(ctx, started, api -> api.events(ctx.queryParam("since"), ctx.queryParam("limit"))));
        config.routes.get("/api/v1/openapi.json", ctx -> ctx.status(200).contentType("application/json").result(openApi));
        // Javalin answers an unknown method on a known path with 404 unless told otherwise.
        config.http.prefer405over404 = true;
        config.routes.exception(HttpResponseException.class, (e, ctx) -> http.answer(ctx, unrouted(e, ctx)));
        config.routes.exception(MetadataUnavailableException.class, (e, ctx) ->
                http.answer(ctx, ApiResponse.error(503, "unavailable", "the metadata store is not reachable: " + e.getMessage())));
        config.routes.exception(Exception.class, (e, ctx) -> {
            if (causedByEarlyEof(e)) {
                // A data route's body read failed the same way the state route's can; answered the same way.
                http.answer(ctx, bodyEndedEarly(ctx, e));
                return;
            }
            log.error("request {} {} failed", ctx.method(), ctx.path(), e);
            http.answer(ctx, ApiResponse.error(500, "internal", "the request failed unexpectedly: " + e.getClass().getSimpleName()
                    + "; see the node's log"));
        });
    }

    /**
     * The answer to a request whose body ended before its {@code Content-Length} (the client went away or
     * sent less): the client's mistake, not the node's, so it is logged without a stack trace above DEBUG.
     */
    private static ApiResponse bodyEndedEarly(Context ctx, Exception e) {
        log.debug("request {} {}: the body could not be read", ctx.method(), ctx.path(), e);
        return ApiResponse.error(400, "bad-request", "the request body ended before the "
                + (ctx.contentLength() >= 0 ? ctx.contentLength() + " bytes its Content-Length announced" : "request was complete")
                + "; nothing changed");
    }

    /** Whether Jetty's end-of-input on the request is among the first {@link #MAX_CAUSES} causes of {@code e}. */
    private static boolean causedByEarlyEof(Throwable e) {
        Throwable cause = e;
        for (int depth = 0; cause != null && depth < MAX_CAUSES; depth++, cause = cause.getCause()) {
            if (cause instanceof EofException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs {@code handler} on the body of a mutating request once its body was read whole and within
     * {@link AdminApi#MAX_BODY_BYTES}; otherwise answers why not. ({@link HttpAccess} has checked the caller before.)
     */
    private void withBoundedBody(Context ctx, java.util.function.Consumer<byte[]> handler) {
        if (ctx.contentLength() > AdminApi.MAX_BODY_BYTES) {
            discardUnread(ctx);
            answer(ctx, ApiResponse.error(413, "payload-too-large", "the request body is " + ctx.contentLength()
                    + " bytes; the limit is " + AdminApi.MAX_BODY_BYTES));
            return;
        }
        byte[] body;
        try {
            body = readBounded(ctx);
        } catch (IOException truncated) {
            answer(ctx, bodyEndedEarly(ctx, truncated));
            return;
        }
        handler.accept(body);
    }

    /** The JSON answer to a request Javalin refused before any route ran: no such path, or not this method. */
    private static ApiResponse unrouted(HttpResponseException e, Context ctx) {
        String request = ctx.method() + " " + ctx.path();
        if (e.getStatus() == HttpStatus.NOT_FOUND.getCode()) {
            return ApiResponse.error(404, "not-found", "no route for " + request + "; the API is described at /api/v1/openapi.json");
        }
        if (e.getStatus() == HttpStatus.METHOD_NOT_ALLOWED.getCode()) {
            String allowed = e.getDetails().getOrDefault("availableMethods", "");
            ctx.header("Allow", allowed);
            return ApiResponse.error(405, "method-not-allowed", ctx.path() + " does not take " + ctx.method() + "; it takes " + allowed);
        }
        return switch (e.getStatus()) {
            case 400 -> ApiResponse.error(400, "bad-request", e.getMessage());
            case 413 -> ApiResponse.error(413, "payload-too-large", e.getMessage());
            default -> ApiResponse.error(e.getStatus(), e.getStatus() >= 500 ? "internal" : "bad-request",
                    request + " was refused: " + e.getMessage());
        };
    }

    private void answer(Context ctx, Supplier<AdminApi> started, Function<AdminApi, ApiResponse> call) {
        AdminApi api = started.get();
        answer(ctx, api == null ? ApiResponse.error(503, "unavailable", "this node is still starting; try again in a moment") : call.apply(api));
    }

    /** Reads at most one byte more than the limit, so an oversized body without a length is still refused. */
    private static byte[] readBounded(Context ctx) throws IOException {
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] body = in.readNBytes(AdminApi.MAX_BODY_BYTES + 1);
            if (body.length > AdminApi.MAX_BODY_BYTES) {
                discardUnread(ctx);
            }
            return body;
        }
    }

    /** How much of a refused body the server reads and drops so that its client gets the 413 rather than a reset. */
    static final long DISCARDED_BODY_LIMIT = 1024 * 1024;

    /**
     * Reads and drops what is left of an oversized body, up to {@link #DISCARDED_BODY_LIMIT}. Answered with the body
     * unread, the connection is closed under a client still sending it, and the client can meet a reset before it
     * reads the 413 (a build's test did: "header parser received no bytes"). A larger body is not worth reading.
     */
    private static void discardUnread(Context ctx) {
        try {
            InputStream in = ctx.req().getInputStream();
            long discarded = 0;
            byte[] buffer = new byte[8192];
            int read;
            while (discarded < DISCARDED_BODY_LIMIT && (read = in.read(buffer)) >= 0) {
                discarded += read;
            }
        } catch (IOException gone) {
            // The client stopped sending: nothing is left to protect.
        }
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
