package dev.sluice.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.metadata.Json;
import dev.sluice.model.Scope;
import dev.sluice.wire.ApiError;
import dev.sluice.wire.CredentialView;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may call which route of a node's HTTP server: the one table of every route and what it needs
 * ({@link #ROUTES}), and the check that runs before any route does. Installed once per server by
 * {@link AdminHttp#install}, it guards every route of the server, the worker's data and status routes too.
 *
 * <p>When the node has credentials ({@link CredentialSource#current()} is {@link Credentials#enforced()}), a
 * request to a route that needs a scope must carry {@code Authorization: Bearer <token>} of a credential that
 * grants it: no token or an unknown one is answered {@code 401 unauthorized}, a known credential without the scope
 * {@code 403 forbidden} naming the credential and the scope needed. Either way the route does not run, so nothing
 * changes. Without credentials every route is open, as before credentials existed. What a route decides from its
 * body (a forced change needs {@link Scope#ADMIN}) it checks itself, with the {@link Caller} this check leaves on
 * the request ({@link #caller}).
 *
 * <p>Tokens are never logged, echoed or kept: a refusal names the credential, or says that the token is unknown.
 */
public final class HttpAccess {

    private static final Logger log = LoggerFactory.getLogger(HttpAccess.class);
    private static final String CALLER_ATTRIBUTE = "dev.sluice.api.caller";
    private static final String BEARER = "Bearer ";

    /** What a route needs of its caller. */
    public sealed interface Rule {
        /** Anyone may call it, credentials or not; {@code why} is the reason it is safe. */
        record Open(String why) implements Rule {}

        /** Any valid credential may call it, whatever its scopes. */
        record AnyCredential() implements Rule {}

        /** A credential that grants {@code scope}. */
        record Needs(Scope scope) implements Rule {}
    }

    private static final Rule READ = new Rule.Needs(Scope.READ);
    private static final Rule OPERATE = new Rule.Needs(Scope.OPERATE);
    private static final Rule ADMIN = new Rule.Needs(Scope.ADMIN);
    private static final Rule DATA = new Rule.Needs(Scope.DATA);

    /**
     * Every route a node serves, as {@code "METHOD path"} in Javalin's syntax, and what it needs. A route missing here
     * is refused to all but {@link Scope#ADMIN} (and logged as a bug); {@code HttpAccessRoutesTest} fails for a
     * served route this table does not name. Forced changes on the {@code state} and {@code maintenance} routes need
     * {@link Scope#ADMIN} in addition, which the route checks once it has read the body.
     */
    public static final Map<String, Rule> ROUTES = routes();

    private static Map<String, Rule> routes() {
        Map<String, Rule> routes = new LinkedHashMap<>();
        routes.put("GET /api/v1/cluster", READ);
        routes.put("GET /api/v1/nodes", READ);
        routes.put("GET /api/v1/nodes/{node}", READ);
        // Removal cannot be undone and forgets the node's history (its id is retired): admin, like anything that can lose what an operator cannot get back.
        routes.put("DELETE /api/v1/nodes/{node}", ADMIN);
        routes.put("GET /api/v1/nodes/{node}/drain", READ);
        routes.put("POST /api/v1/nodes/{node}/state", OPERATE);
        routes.put("POST /api/v1/nodes/{node}/maintenance", OPERATE);
        routes.put("DELETE /api/v1/nodes/{node}/maintenance", OPERATE);
        // A cordon moves nothing and is lifted at once: what an on-call does, like a drain.
        routes.put("POST /api/v1/nodes/{node}/cordon", OPERATE);
        routes.put("DELETE /api/v1/nodes/{node}/cordon", OPERATE);
        // A replace is a drain with a named target, and is cancelled like one: what an on-call does.
        routes.put("POST /api/v1/nodes/{node}/replace", OPERATE);
        routes.put("DELETE /api/v1/nodes/{node}/replace", OPERATE);
        routes.put("GET /api/v1/settings", READ);
        // The throttles pace every move of the whole cluster, for every operator, and stay until changed again: a
        // cluster-wide configuration, which is admin's, like removal; operate's actions each concern one node or partition.
        routes.put("PUT /api/v1/settings", ADMIN);
        routes.put("POST /api/v1/nodes/{node}/shutdown", OPERATE);
        // A group drain is several drains in one write, and is cancelled as one: what an on-call does, like a drain.
        routes.put("POST /api/v1/drains", OPERATE);
        routes.put("GET /api/v1/drains", READ);
        routes.put("GET /api/v1/drains/{drain}", READ);
        routes.put("DELETE /api/v1/drains/{drain}", OPERATE);
        routes.put("POST /api/v1/rollouts", OPERATE);
        routes.put("GET /api/v1/rollouts/current", READ);
        routes.put("DELETE /api/v1/rollouts/current", OPERATE);
        routes.put("GET /api/v1/partitions", READ);
        routes.put("GET /api/v1/partitions/{partition}", READ);
        // Freezing and pinning move nothing by themselves and are lifted at once: what an on-call does, like a cordon.
        routes.put("POST /api/v1/partitions/{partition}/freeze", OPERATE);
        routes.put("DELETE /api/v1/partitions/{partition}/freeze", OPERATE);
        routes.put("POST /api/v1/partitions/{partition}/pin-leader", OPERATE);
        routes.put("DELETE /api/v1/partitions/{partition}/pin-leader", OPERATE);
        routes.put("GET /api/v1/events", READ);
        routes.put("GET /api/v1/credential", new Rule.AnyCredential());
        routes.put("GET /api/v1/openapi.json", new Rule.Open("the API's description, the same for every cluster"));
        routes.put("GET /", new Rule.Open("the dashboard's page, which reads the cluster only through the API with the operator's token"));
        routes.put("GET /dashboard/{asset}", new Rule.Open("the dashboard's scripts and style sheet"));
        routes.put("GET /metrics", new Rule.Open("Prometheus scrapes without a token; the metrics carry counts and states, no secret"));
        routes.put("GET /health/live", new Rule.Open("a supervisor's liveness probe"));
        routes.put("GET /health/ready", new Rule.Open("a load balancer's readiness probe, which other nodes ask too"));
        routes.put("GET /internal/v1/status", READ);
        routes.put("GET /data/v1/routing", DATA);
        routes.put("PUT /data/v1/kv/<key>", DATA);
        routes.put("GET /data/v1/kv/<key>", DATA);
        // The key-less forms only ever answer 400; they are checked like the real ones so that they tell a stranger nothing more.
        routes.put("PUT /data/v1/kv/", DATA);
        routes.put("GET /data/v1/kv/", DATA);
        routes.put("PUT /data/v1/kv", DATA);
        routes.put("GET /data/v1/kv", DATA);
        return Collections.unmodifiableMap(routes);
    }

    private final CredentialSource credentials;
    private final Set<String> reportedUnlisted = ConcurrentHashMap.newKeySet();

    private HttpAccess(CredentialSource credentials) {
        this.credentials = Objects.requireNonNull(credentials, "credentials");
    }

    /** Installs the check before every route of {@code config}'s server, and the route that says who the caller is. */
    static void install(JavalinConfig config, CredentialSource credentials) {
        HttpAccess access = new HttpAccess(credentials);
        config.routes.beforeMatched(access::check);
        config.routes.exception(Refused.class, (refused, ctx) -> access.answer(ctx, refused));
        config.routes.get("/api/v1/credential", ctx -> access.answer(ctx, 200, whoAmI(caller(ctx))));
    }

    /** The caller the check established for this request; {@link Caller#UNCHECKED} on a node without credentials. */
    static Caller caller(Context ctx) {
        Caller caller = ctx.attribute(CALLER_ATTRIBUTE);
        return caller == null ? Caller.UNCHECKED : caller;
    }

    /** What a route needs; a route not in {@link #ROUTES} needs {@link Scope#ADMIN}, so a forgotten route fails closed. */
    Rule rule(String route) {
        Rule rule = ROUTES.get(route);
        if (rule == null) {
            if (reportedUnlisted.add(route)) {
                log.error("BUG: route {} is not in HttpAccess.ROUTES; it is refused to every credential without the admin scope", route);
            }
            return new Rule.Needs(Scope.ADMIN);
        }
        return rule;
    }

    private void check(Context ctx) {
        Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
        Credentials current = credentials.current();
        if (endpoint == null || !current.enforced()) {
            // No route: the 404 or 405 that follows tells nothing. No credentials: everything is open.
            return;
        }
        String route = endpoint.method + " " + endpoint.path;
        Rule rule = rule(route);
        if (rule instanceof Rule.Open) {
            return;
        }
        String header = ctx.header("Authorization");
        if (header == null) {
            throw Refused.unauthorized("this cluster requires a token: pass --token or set SLUICE_TOKEN (a local cluster writes it to"
                    + " <data-dir>/token)");
        }
        if (!header.startsWith(BEARER) || header.length() == BEARER.length()) {
            throw Refused.unauthorized("the Authorization header must be 'Bearer <token>'");
        }
        Optional<Credential> found = current.authenticate(header.substring(BEARER.length()).strip());
        if (found.isEmpty()) {
            log.debug("{} {}: refused an unknown token", ctx.method(), ctx.path());
            throw Refused.unauthorized("the token is wrong");
        }
        Credential credential = found.get();
        if (rule instanceof Rule.Needs needs && !credential.grants(needs.scope())) {
            log.info("{} {}: refused credential {}, which lacks the {} scope", ctx.method(), ctx.path(), credential, needs.scope());
            throw Refused.forbidden(credential, needs.scope(), route);
        }
        ctx.attribute(CALLER_ATTRIBUTE, new Caller.Authenticated(credential));
    }

    /**
     * The answer when {@code caller} may not do what {@code scope} allows: the route checks this itself for what only
     * the body says (a forced change).
     */
    static ApiResponse forbidden(Caller caller, Scope scope, String what) {
        Credential held = ((Caller.Authenticated) caller).held();
        return ApiResponse.error(403, "forbidden", forbiddenMessage(held, scope, what));
    }

    private static String forbiddenMessage(Credential held, Scope scope, String what) {
        return "credential " + held.name() + " (scopes: " + held.scopeList().replace(",", ", ") + ") may not " + what + ": that needs the "
                + scope + " scope" + (scope == Scope.READ || scope == Scope.OPERATE ? " or one that includes it" : "");
    }

    private static CredentialView whoAmI(Caller caller) {
        return switch (caller) {
            case Caller.Unchecked unchecked -> new CredentialView(false, null, List.copyOf(Credentials.ALL_SCOPES.stream().sorted().toList()),
                    Credentials.ALL_SCOPES.stream().sorted().toList());
            case Caller.Authenticated authenticated -> new CredentialView(true, authenticated.held().name().value(),
                    authenticated.held().scopes().stream().sorted().toList(), Scope.effective(authenticated.held().scopes()).stream().sorted().toList());
        };
    }

    private void answer(Context ctx, Refused refused) {
        if (refused.status == 401) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"sluice\"");
        } else {
            ctx.header("WWW-Authenticate", "Bearer realm=\"sluice\", error=\"insufficient_scope\", scope=\"" + refused.scope + "\"");
        }
        answer(ctx, refused.status, new ApiError(refused.code, refused.getMessage()));
    }

    private void answer(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(Json.mapper().writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("BUG: cannot write an API response", e);
        }
    }

    /** A request refused before its route ran; thrown from the check so that no later handler runs. */
    static final class Refused extends RuntimeException {
        private final int status;
        private final String code;
        private final Scope scope;

        private Refused(int status, String code, String message, Scope scope) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
            this.scope = scope;
        }

        static Refused unauthorized(String message) {
            return new Refused(401, "unauthorized", message, null);
        }

        static Refused forbidden(Credential held, Scope scope, String route) {
            return new Refused(403, "forbidden", forbiddenMessage(held, scope, "do " + route), scope);
        }
    }
}
