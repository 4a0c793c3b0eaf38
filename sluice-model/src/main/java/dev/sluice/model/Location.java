package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.regex.Pattern;

/**
 * Where a node runs, as {@code region.zone}. Zones are what replica spread is counted over; two zones
 * with the same name in different regions are different zones.
 */
public record Location(String region, String zone) {

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    public static final Location DEFAULT = new Location("local", "zone-1");

    public Location {
        requireLabel("region", region);
        requireLabel("zone", zone);
    }

    /**
     * Parses {@code region.zone}, both parts lower-case letters, digits and dashes.
     *
     * @throws IllegalArgumentException if {@code text} has another form
     */
    @JsonCreator
    public static Location parse(String text) {
        int dot = text == null ? -1 : text.indexOf('.');
        if (dot < 0 || text.indexOf('.', dot + 1) >= 0) {
            throw new IllegalArgumentException("not a location: '" + text + "' (expected region.zone, for example eu-west.a)");
        }
        return new Location(text.substring(0, dot), text.substring(dot + 1));
    }

    private static void requireLabel(String what, String value) {
        if (value == null || !LABEL.matcher(value).matches()) {
            throw new IllegalArgumentException(
                    "invalid " + what + " '" + value + "': use lower-case letters, digits and dashes, at most 63");
        }
    }

    @JsonValue
    @Override
    public String toString() {
        return region + "." + zone;
    }
}
