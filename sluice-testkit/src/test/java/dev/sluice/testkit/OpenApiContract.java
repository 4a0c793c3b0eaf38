package dev.sluice.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import dev.sluice.metadata.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The OpenAPI document a node serves, used as a checker of real answers. An answer passes when the document
 * declares its status for the route and method, its media type is one the document lists for that status,
 * the headers the document marks required are present, and a JSON body is valid against the declared schema
 * (checked by the json-schema-validator library with the OpenAPI 3.0 dialect, {@code $ref}s resolved inside
 * the document). It collects what fails rather than stopping at the first, so one run lists every
 * disagreement, and it remembers every declared answer it has seen, so a test can demand that each one was
 * provoked at least once.
 */
final class OpenApiContract {

    /** Where the validator believes the document lives; it is never fetched, the registry holds its text. */
    private static final String DOCUMENT_IRI = "https://sluice.invalid/api/v1/openapi.json";
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

    private final JsonNode document;
    private final SchemaRegistry schemas;
    private final Set<String> seen = new TreeSet<>();
    private final List<String> violations = new ArrayList<>();

    OpenApiContract(String documentText) {
        try {
            this.document = Json.mapper().readTree(documentText);
        } catch (IOException e) {
            throw new UncheckedIOException("the served OpenAPI document is not JSON", e);
        }
        this.schemas = SchemaRegistry.withDefaultDialect(Dialects.getOpenApi30(), registry -> registry.schemas(Map.of(DOCUMENT_IRI, documentText)));
    }

    /** Every route the document describes, as {@code "GET /api/v1/nodes/{node}"}. */
    Set<String> documentedRoutes() {
        Set<String> routes = new TreeSet<>();
        document.get("paths").properties().forEach(path -> path.getValue().properties().stream()
                .filter(operation -> METHODS.contains(operation.getKey()))
                .forEach(operation -> routes.add(operation.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey())));
        return routes;
    }

    /** Every answer the document declares, as {@code "GET /api/v1/nodes/{node} 404"}. */
    Set<String> documentedAnswers() {
        Set<String> answers = new TreeSet<>();
        for (String route : documentedRoutes()) {
            String[] parts = route.split(" ", 2);
            operation(parts[0], parts[1]).get("responses").fieldNames().forEachRemaining(status -> answers.add(route + " " + status));
        }
        return answers;
    }

    /**
     * Whether {@code body} is valid against the JSON request schema the document declares for {@code method}
     * on {@code route}: a test sends requests the server accepts and refuses, and the document must agree.
     */
    boolean requestValid(String method, String route, String body) {
        String schemaPointer = pointer("paths", route, method.toLowerCase(Locale.ROOT), "requestBody", "content", "application/json", "schema");
        if (document.at(schemaPointer).isMissingNode()) {
            throw new IllegalArgumentException(method + " " + route + " declares no JSON request body");
        }
        return schemas.getSchema(SchemaLocation.of(DOCUMENT_IRI + "#" + fragment(schemaPointer))).validate(body, InputFormat.JSON).isEmpty();
    }

    /** Every way an answer checked so far disagreed with the document. */
    List<String> violations() {
        return List.copyOf(violations);
    }

    /** The declared answers {@link #check} has seen. */
    Set<String> seen() {
        return Set.copyOf(seen);
    }

    /**
     * Checks {@code response}, the answer to {@code method} on a path that {@code route} (a path of the
     * document, e.g. {@code /api/v1/nodes/{node}}) matches.
     */
    void check(String method, String route, HttpResponse<byte[]> response) {
        check(method, route, Answer.of(response));
    }

    /** Like {@link #check(String, String, HttpResponse)}, for an answer read off a socket. */
    void check(String method, String route, Answer response) {
        String label = method + " " + route + " " + response.statusCode();
        JsonNode operation = document.path("paths").path(route).path(method.toLowerCase(Locale.ROOT));
        if (operation.isMissingNode()) {
            violations.add(method + " " + route + " is not in the document");
            return;
        }
        String status = Integer.toString(response.statusCode());
        if (!operation.path("responses").has(status)) {
            violations.add(String.format("%s: the document declares no %s answer for this route (only %s); body: %s", label, status,
                    iterable(operation.path("responses").fieldNames()), abbreviated(text(response))));
            return;
        }
        checkAnswer(pointer("paths", route, method.toLowerCase(Locale.ROOT), "responses", status), response, label);
        seen.add(label);
    }

    /** Checks an answer no route gave (an unknown path, a wrong method) against a response of the document's components. */
    void checkComponent(String responseName, HttpResponse<byte[]> response) {
        String label = response.request().method() + " " + response.uri().getPath() + " " + response.statusCode();
        checkAnswer(pointer("components", "responses", responseName), Answer.of(response), label);
    }

    private JsonNode operation(String method, String route) {
        return document.path("paths").path(route).path(method.toLowerCase(Locale.ROOT));
    }

    private void checkAnswer(String answerPointer, Answer response, String label) {
        JsonNode answer = document.at(answerPointer);
        if (answer.has("$ref")) {
            answerPointer = answer.get("$ref").asText().substring(1);
            answer = document.at(answerPointer);
        }
        if (answer.isMissingNode()) {
            violations.add(label + ": " + answerPointer + " does not resolve in the document");
            return;
        }
        answer.path("headers").properties().forEach(header -> {
            if (header.getValue().path("required").asBoolean(false) && response.header(header.getKey()) == null) {
                violations.add(label + ": the required header " + header.getKey() + " is missing");
            }
        });
        JsonNode content = answer.get("content");
        if (content == null) {
            if (response.body().length > 0) {
                violations.add(label + ": the document declares no body, but there is one: " + abbreviated(text(response)));
            }
            return;
        }
        String type = response.header("Content-Type");
        String mediaType = type == null ? "(none)" : type.split(";")[0].trim();
        if (!content.has(mediaType)) {
            violations.add(label + ": answered " + mediaType + " where the document declares " + iterable(content.fieldNames())
                    + "; body: " + abbreviated(text(response)));
            return;
        }
        if (mediaType.equals("application/json")) {
            String schemaPointer = answerPointer + "/content/application~1json/schema";
            Schema schema = schemas.getSchema(SchemaLocation.of(DOCUMENT_IRI + "#" + fragment(schemaPointer)));
            List<Error> errors = schema.validate(text(response), InputFormat.JSON);
            if (!errors.isEmpty()) {
                violations.add(label + ": the body does not match " + schemaPointer + ": " + errors + "; body: " + abbreviated(text(response)));
            }
        }
    }

    /** A JSON pointer to the node reached by {@code keys}, each escaped as RFC 6901 says. */
    private static String pointer(String... keys) {
        StringBuilder pointer = new StringBuilder();
        for (String key : keys) {
            pointer.append('/').append(key.replace("~", "~0").replace("/", "~1"));
        }
        return pointer.toString();
    }

    /** {@code pointer} as a URI fragment: braces of path templates are not allowed there unescaped. */
    private static String fragment(String pointer) {
        return pointer.replace("{", "%7B").replace("}", "%7D");
    }

    private static Set<String> iterable(java.util.Iterator<String> names) {
        Set<String> all = new TreeSet<>();
        names.forEachRemaining(all::add);
        return all;
    }

    private static String text(Answer response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** An HTTP answer: its status, its headers (names in lower case) and its body. */
    record Answer(int statusCode, Map<String, String> headers, byte[] body) {

        static Answer of(HttpResponse<byte[]> response) {
            Map<String, String> headers = new TreeMap<>();
            response.headers().map().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), String.join(", ", values)));
            return new Answer(response.statusCode(), headers, response.body());
        }

        /** Parses an HTTP/1.1 answer read to its end (the request said {@code Connection: close}). */
        static Answer parse(byte[] raw) {
            String text = new String(raw, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            String[] lines = text.substring(0, end).split("\r\n");
            Map<String, String> headers = new TreeMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            return new Answer(Integer.parseInt(lines[0].split(" ")[1]), headers, Arrays.copyOfRange(raw, end + 4, raw.length));
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private static String abbreviated(String body) {
        return body.length() <= 600 ? body : body.substring(0, 600) + "…";
    }
}
