package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.wire.ErrorCodes;
import dev.sluice.metadata.Json;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document (sluice-api) describes the data API's errors, whose codes live with the client
 * (sluice-client); neither module sees the other, so the two lists are compared here.
 */
class DataApiDocumentTest {

    @Test
    void everyDataErrorCodeIsDocumented() throws Exception {
        JsonNode document;
        try (InputStream in = DataApiDocumentTest.class.getResourceAsStream("/dev/sluice/api/openapi.json")) {
            assertThat(in).as("the OpenAPI document on the class path").isNotNull();
            document = Json.mapper().readTree(in);
        }
        List<String> documented = new ArrayList<>();
        document.at("/components/schemas/DataError/properties/error/enum").forEach(code -> documented.add(code.asText()));

        List<String> codes = new ArrayList<>();
        for (Field field : ErrorCodes.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                codes.add((String) field.get(null));
            }
        }
        assertThat(codes).contains(ErrorCodes.INSUFFICIENT_STORAGE);
        assertThat(documented).containsExactlyInAnyOrderElementsOf(codes);
        assertThat(document.at("/paths/~1data~1v1~1kv~1{key}/put/responses/507/content/application~1json/example/error").asText())
                .isEqualTo(ErrorCodes.INSUFFICIENT_STORAGE);
    }
}
