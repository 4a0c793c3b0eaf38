package dev.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.sluice.metadata.Json;

/** The checks every wire record's test makes, with the mapper the producers and readers use. */
final class WireRoundTrip {

    /**
     * A mapper that fails on unknown properties, unlike {@link Json#mapper()}: reading with it shows the
     * records themselves ignore what they do not know, whichever mapper a reader brings.
     */
    static final ObjectMapper STRICT_MAPPER = JsonMapper.builder().addModule(new JavaTimeModule()).build();

    private WireRoundTrip() {}

    /** {@code value} written as JSON and read back as its own class: equal to what was written. */
    static <T> void assertRoundTrips(T value) throws Exception {
        String json = Json.mapper().writeValueAsString(value);
        assertThat(Json.mapper().readValue(json, value.getClass())).as(json).isEqualTo(value);
    }

    static <T> T read(String json, Class<T> type) throws Exception {
        return Json.mapper().readValue(json, type);
    }
}
