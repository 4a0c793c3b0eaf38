package dev.sluice.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.metadata.Json;
import dev.sluice.model.WireNames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Reads the JSON bodies of mutating admin requests strictly: one object, known fields only, each given once,
 * with a message that says what to send instead. Every failure is an {@link IllegalArgumentException}, which
 * the API answers 400.
 */
final class RequestBodies {

    private RequestBodies() {}

    /** The body as an object with no field outside {@code fields}; {@code example} is shown when it is not an object. */
    static ObjectNode object(byte[] body, Set<String> fields, String example) {
        JsonNode json;
        try {
            // With last-wins, {"state":"active","state":"draining"} means whatever the reader's parser picks.
            json = Json.mapper().reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readTree(body);
        } catch (StreamReadException e) {
            String problem = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            if (problem.startsWith("Duplicate field ")) {
                throw new IllegalArgumentException("the body names field " + problem.substring("Duplicate field ".length())
                        + " more than once; give each field once");
            }
            throw new IllegalArgumentException("the body is not valid JSON: " + firstLine(e.getMessage()));
        } catch (IOException e) {
            throw new IllegalArgumentException("the body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (!(json instanceof ObjectNode object)) {
            throw new IllegalArgumentException("the body must be a JSON object like " + example);
        }
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw new IllegalArgumentException("unknown field '" + name + "' (expected " + String.join(", ", fields.stream().sorted().toList()) + ")");
            }
        }
        return object;
    }

    /** The optional {@code reason}: one line of printable text, at most {@link AdminApi#MAX_REASON_CHARS}. */
    static String reason(ObjectNode object) {
        JsonNode reasonNode = object.get("reason");
        if (reasonNode == null || reasonNode.isNull()) {
            return "";
        }
        if (!reasonNode.isTextual()) {
            throw new IllegalArgumentException("field 'reason' must be a string");
        }
        return reason(reasonNode.textValue(), "field 'reason'");
    }

    /** A reason given elsewhere than in a body ({@code what} says where, for the error): the same rules as the field's. */
    static String reason(String reason, String what) {
        // A reason is printed in terminals and logs, where control characters could rewrite what is shown.
        if (reason.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(what + " contains a control character: '" + WireNames.printable(
                    reason.length() > 80 ? reason.substring(0, 80) + "..." : reason) + "'; give one line of text");
        }
        if (reason.length() > AdminApi.MAX_REASON_CHARS) {
            throw new IllegalArgumentException(what + " is " + reason.length() + " characters; the limit is " + AdminApi.MAX_REASON_CHARS);
        }
        return reason;
    }

    /** An optional boolean field, false when absent. */
    /** The optional field {@code nodes}: a list of node names or ids; empty when absent. */
    static List<String> nodeNames(ObjectNode object) {
        List<String> nodes = new ArrayList<>();
        JsonNode list = object.get("nodes");
        if (list == null || list.isNull()) {
            return nodes;
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException("field 'nodes' must be a list of node names or ids");
        }
        for (JsonNode node : list) {
            if (!node.isTextual()) {
                throw new IllegalArgumentException("field 'nodes' must be a list of node names or ids, got " + node);
            }
            nodes.add(node.textValue());
        }
        return nodes;
    }

    /** The optional field {@code zone}: a zone name, or {@code null} when absent. */
    static String zone(ObjectNode object) {
        JsonNode zone = object.get("zone");
        if (zone == null || zone.isNull()) {
            return null;
        }
        if (!zone.isTextual() || zone.textValue().isBlank()) {
            throw new IllegalArgumentException("field 'zone' must be a zone name like eu-west.zone-a");
        }
        return zone.textValue();
    }

    static boolean flag(ObjectNode object, String name) {
        JsonNode value = object.get(name);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new IllegalArgumentException("field '" + name + "' must be true or false");
        }
        return value.booleanValue();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
