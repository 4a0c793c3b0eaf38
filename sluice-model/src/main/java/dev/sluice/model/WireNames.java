package dev.sluice.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The one spelling of an enum constant in storage, CLI, HTTP and logs: kebab-case lower case
 * ({@code draining}, {@code partition-moved}). Parsing accepts any case and underscores.
 */
public final class WireNames {

    private WireNames() {}

    public static String of(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Finds the constant whose wire name is {@code text}, ignoring case and treating {@code _} as {@code -}.
     *
     * @throws IllegalArgumentException naming the accepted values if none matches
     */
    public static <E extends Enum<E>> E parse(Class<E> type, String what, String text) {
        if (text != null) {
            String wanted = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (E constant : type.getEnumConstants()) {
                if (of(constant).equals(wanted)) {
                    return constant;
                }
            }
        }
        String accepted = Arrays.stream(type.getEnumConstants()).map(WireNames::of).collect(Collectors.joining(", "));
        throw new IllegalArgumentException("unknown " + what + " '" + text + "' (expected one of: " + accepted + ")");
    }
}
