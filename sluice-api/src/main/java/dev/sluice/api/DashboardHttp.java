package dev.sluice.api;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * Serves the operator dashboard: a small framework-free page (plain HTML, CSS and ES modules) kept in the
 * jar under {@value #RESOURCE_DIR}. It reads and changes the cluster only through the admin API that
 * {@link AdminHttp} installs on the same server, so it works on every node and needs nothing from the
 * network at run time.
 *
 * <pre>
 * GET /                     the dashboard page
 * GET /dashboard/{asset}    its scripts, style sheet and icon (a fixed list; anything else is 404)
 * </pre>
 *
 * <p>Every file is read once, when the routes are installed, so a jar that lacks one fails at start-up
 * rather than on an operator's first visit. Responses say {@code Cache-Control: no-cache}: after a
 * rolling upgrade the browser revalidates and picks up the new page together with the new API. The
 * content-security policy allows only this origin, so the page can load no script, style or font from
 * elsewhere, and its bearer token (kept in the browser's local storage) can only be sent back here.
 */
public final class DashboardHttp {

    /** Where the dashboard's files are on the class path. */
    static final String RESOURCE_DIR = "/dev/sluice/api/dashboard/";

    /** The files under {@link #RESOURCE_DIR} that are served, with their content types. */
    static final Map<String, String> ASSETS = Map.of(
            "index.html", "text/html;charset=utf-8",
            "app.js", "text/javascript;charset=utf-8",
            "api.js", "text/javascript;charset=utf-8",
            "view.js", "text/javascript;charset=utf-8",
            "dialogs.js", "text/javascript;charset=utf-8",
            "style.css", "text/css;charset=utf-8",
            "favicon.svg", "image/svg+xml");

    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private DashboardHttp() {}

    /** One file of the dashboard, read from the jar. */
    private record Asset(String contentType, byte[] bytes) {}

    /**
     * Adds the dashboard's routes to {@code config}.
     *
     * @throws IllegalStateException if a dashboard file is missing from the class path (a broken build)
     */
    public static void install(JavalinConfig config) {
        Map<String, Asset> assets = new HashMap<>();
        ASSETS.forEach((name, type) -> assets.put(name, new Asset(type, load(name))));
        Asset index = assets.get("index.html");
        config.routes.get("/", ctx -> serve(ctx, index));
        config.routes.get("/dashboard/{asset}", ctx -> {
            Asset asset = assets.get(ctx.pathParam("asset"));
            if (asset == null) {
                ctx.status(404).contentType("text/plain;charset=utf-8").result("no such dashboard file: " + ctx.pathParam("asset"));
                return;
            }
            serve(ctx, asset);
        });
    }

    private static void serve(Context ctx, Asset asset) {
        ctx.status(200)
                .contentType(asset.contentType())
                .header("Cache-Control", "no-cache")
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer")
                .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .result(asset.bytes());
    }

    private static byte[] load(String name) {
        String resource = RESOURCE_DIR + name;
        try (InputStream in = DashboardHttp.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("BUG: " + resource + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("BUG: cannot read " + resource, e);
        }
    }
}
