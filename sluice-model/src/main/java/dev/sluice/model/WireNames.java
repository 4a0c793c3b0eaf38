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
     * Finds the constant whose wire name is {@code text}, ignoring case, surrounding spaces, and treating
     * {@code _} as {@code -}.
     *
     * @throws IllegalArgumentException naming the accepted values if none matches, or if {@code text} holds a
     *     control character (which {@code trim()} would silently drop, so {@code "draining\\u0000"} would pass)
     */
    public static <E extends Enum<E>> E parse(Class<E> type, String what, String text) {
        if (text != null && text.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(what + " '" + printable(text) + "' contains a control character");
        }
        if (text != null) {
            String wanted = text.strip().toLowerCase(Locale.ROOT).replace('_', '-');
            for (E constant : type.getEnumConstants()) {
                if (of(constant).equals(wanted)) {
                    return constant;
                }
            }
        }
        String accepted = Arrays.stream(type.getEnumConstants()).map(WireNames::of).collect(Collectors.joining(", "));
        throw new IllegalArgumentException("unknown " + what + " '" + text + "' (expected one of: " + accepted + ")");
    }

    /** {@code text} with each control character written as a Java escape ({@code \\u001b}), safe to put in a message. */
    public static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.chars().forEach(c -> {
            if (Character.isISOControl(c)) {
                out.append(String.format(Locale.ROOT, "\\u%04x", c));
            } else {
                out.append((char) c);
            }
        });
        return out.toString();
    }
}
