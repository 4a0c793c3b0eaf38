package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dashboard's routes serve the page and its assets from the jar, with the right headers. */
class DashboardHttpTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private Javalin server;
    private String base;

    @BeforeEach
    void start() {
        server = Javalin.create(DashboardHttp::install).start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The content type as sent, spaces removed: Jetty writes some types without the space after the ';'. */
    private static String contentType(HttpResponse<String> response) {
        return response.headers().firstValue("Content-Type").orElse("(none)").replace(" ", "").toLowerCase(Locale.ROOT);
    }

    @Test
    void theRootServesThePageUncached() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(contentType(page)).isEqualTo("text/html;charset=utf-8");
        assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(DashboardHttp.CONTENT_SECURITY_POLICY);
        assertThat(page.body()).contains("<script type=\"module\" src=\"/dashboard/app.js\">")
                .contains("id=\"unreachable-banner\"").contains("id=\"partition-map\"").contains("id=\"events\"");
    }

    @Test
    void everyAssetIsServedWithItsContentType() throws Exception {
        record Expected(String path, String type, String contains) {}
        List<Expected> expected = List.of(
                new Expected("/dashboard/app.js", "text/javascript;charset=utf-8", "import * as api from './api.js'"),
                new Expected("/dashboard/api.js", "text/javascript;charset=utf-8", "/api/v1/nodes"),
                new Expected("/dashboard/view.js", "text/javascript;charset=utf-8", "export function renderWorkers"),
                new Expected("/dashboard/dialogs.js", "text/javascript;charset=utf-8", "export async function openDrainDialog"),
                new Expected("/dashboard/style.css", "text/css;charset=utf-8", ".card.dead"),
                new Expected("/dashboard/favicon.svg", "image/svg+xml", "<svg"),
                new Expected("/dashboard/index.html", "text/html;charset=utf-8", "<!doctype html>"));
        for (Expected e : expected) {
            HttpResponse<String> response = get(e.path());
            assertThat(response.statusCode()).as(e.path()).isEqualTo(200);
            assertThat(contentType(response)).as(e.path()).isEqualTo(e.type());
            assertThat(response.headers().firstValue("Cache-Control")).as(e.path()).hasValue("no-cache");
            assertThat(response.headers().firstValue("X-Content-Type-Options")).as(e.path()).hasValue("nosniff");
            assertThat(response.body()).as(e.path()).contains(e.contains());
        }
        assertThat(expected).extracting(e -> e.path().substring("/dashboard/".length()))
                .containsExactlyInAnyOrderElementsOf(DashboardHttp.ASSETS.keySet());
    }

    @Test
    void everyFileThePageLoadsIsServedAndComesFromThisOrigin() throws Exception {
        List<String> references = new ArrayList<>();
        Matcher html = Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(get("/").body());
        while (html.find()) {
            references.add(html.group(1));
        }
        for (String module : List.of("app.js", "dialogs.js")) {
            Matcher imports = Pattern.compile("from '\\./([^']+)'").matcher(get("/dashboard/" + module).body());
            while (imports.find()) {
                references.add("/dashboard/" + imports.group(1));
            }
        }
        assertThat(references).contains("/dashboard/app.js", "/dashboard/style.css", "/dashboard/api.js", "/dashboard/view.js",
                "/dashboard/dialogs.js");
        for (String reference : references) {
            assertThat(reference).as("no CDN, no fonts from the network").startsWith("/dashboard/");
            assertThat(get(reference).statusCode()).as(reference).isEqualTo(200);
        }
        for (String text : List.of("/", "/dashboard/app.js", "/dashboard/api.js", "/dashboard/view.js", "/dashboard/dialogs.js",
                "/dashboard/style.css")) {
            assertThat(get(text).body()).as(text + " names no other origin").doesNotContain("://").doesNotContain("@import");
        }
    }

    @Test
    void unknownAssetsAreNotFoundAndPathsCannotEscape() throws Exception {
        assertThat(get("/dashboard/nope.js").statusCode()).isEqualTo(404);
        assertThat(get("/dashboard/..%2Fopenapi.json").statusCode()).isEqualTo(404);
        assertThat(get("/dashboard/../AdminHttp.class").statusCode()).isEqualTo(404);
        assertThat(get("/dashboard/").statusCode()).isEqualTo(404);
    }
}
