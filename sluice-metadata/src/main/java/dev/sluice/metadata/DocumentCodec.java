package dev.sluice.metadata;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Reads and writes one kind of stored document as JSON with a {@code format} field. Compatible changes
 * (new optional fields) keep the format number; readers ignore fields they do not know. A document that
 * is not what its key should hold, or was written in a newer format, is an error that names the key.
 */
public final class DocumentCodec<T> {

    static final String FORMAT_FIELD = "format";

    private final Class<T> type;
    private final String what;
    private final int format;

    public DocumentCodec(Class<T> type, String what, int format) {
        if (format < 1) {
            throw new IllegalArgumentException("formats start at 1");
        }
        this.type = type;
        this.what = what;
        this.format = format;
    }

    public byte[] encode(T value) {
        ObjectNode document = Json.mapper().createObjectNode();
        document.put(FORMAT_FIELD, format);
        JsonNode body = Json.mapper().valueToTree(value);
        if (!(body instanceof ObjectNode fields)) {
            throw new IllegalStateException("BUG: " + what + " must serialize to a JSON object");
        }
        fields.properties().forEach(field -> {
            if (!field.getKey().equals(FORMAT_FIELD)) {
                document.set(field.getKey(), field.getValue());
            }
        });
        try {
            return Json.mapper().writeValueAsBytes(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("BUG: cannot write " + what, e);
        }
    }

    /**
     * @throws CorruptDocumentException naming {@code key} if the bytes are not a valid {@code what}
     */
    public T decode(String key, byte[] bytes) {
        JsonNode document;
        try {
            document = Json.mapper().readTree(bytes);
        } catch (JsonProcessingException e) {
            throw corrupt(key, "it is not JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw corrupt(key, "it is not JSON (" + e.getMessage() + ")", e);
        }
        if (!(document instanceof ObjectNode fields)) {
            throw corrupt(key, "it is not a JSON object", null);
        }
        JsonNode storedFormat = fields.get(FORMAT_FIELD);
        if (storedFormat == null || !storedFormat.canConvertToInt()) {
            throw corrupt(key, "it has no '" + FORMAT_FIELD + "' number", null);
        }
        if (storedFormat.intValue() > format) {
            throw corrupt(key, "it was written in format " + storedFormat.intValue() + " by a newer Sluice; this one reads up to format " + format
                    + ". Upgrade this node", null);
        }
        fields.remove(FORMAT_FIELD);
        try {
            T value = Json.mapper().treeToValue(fields, type);
            if (value == null) {
                throw corrupt(key, "it is empty", null);
            }
            return value;
        } catch (JsonProcessingException e) {
            throw corrupt(key, e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw corrupt(key, e.getMessage(), e);
        }
    }

    /**
     * The format {@code bytes} were written in, for a reader whose meaning depends on it.
     *
     * @throws CorruptDocumentException naming {@code key} if the bytes are not a JSON object with a format number
     */
    public int formatOf(String key, byte[] bytes) {
        try {
            JsonNode storedFormat = Json.mapper().readTree(bytes).get(FORMAT_FIELD);
            if (storedFormat == null || !storedFormat.canConvertToInt()) {
                throw corrupt(key, "it has no '" + FORMAT_FIELD + "' number", null);
            }
            return storedFormat.intValue();
        } catch (IOException e) {
            throw corrupt(key, "it is not JSON (" + e.getMessage() + ")", e);
        }
    }

    private CorruptDocumentException corrupt(String key, String why, Throwable cause) {
        return new CorruptDocumentException("metadata key '" + key + "' does not hold a valid " + what + ": " + why, cause);
    }
}
