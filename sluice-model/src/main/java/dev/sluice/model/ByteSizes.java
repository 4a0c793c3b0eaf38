package dev.sluice.model;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes in bytes as operators write and read them: {@code 256MiB} in, {@code 12 MiB} out. */
public final class ByteSizes {

    private static final long MIB = 1024L * 1024;
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kib|mib|gib|tib|k|m|g|t)?");

    /**
     * Reads a size: a number of bytes, or a number with a binary unit ({@code 512KiB}, {@code 256MiB},
     * {@code 2GiB}, {@code 1TiB}; {@code K}/{@code M}/{@code G}/{@code T} mean the same), case-insensitive.
     *
     * @throws IllegalArgumentException saying what is accepted when {@code text} is not a size
     */
    public static long parse(String text) {
        Matcher matcher = SIZE.matcher(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; use bytes or a number with KiB, MiB, GiB or TiB (256MiB)");
        }
        long unit = switch (matcher.group(2) == null ? "b" : matcher.group(2)) {
            case "kib", "k" -> 1024L;
            case "mib", "m" -> MIB;
            case "gib", "g" -> 1024L * MIB;
            case "tib", "t" -> 1024L * 1024 * MIB;
            default -> 1L;
        };
        try {
            return Math.multiplyExact(Long.parseLong(matcher.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException tooLarge) {
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
    }

    /** Bytes in words for messages: whole MiB from 1 MiB up ({@code 12 MiB}), else KiB or bytes. */
    public static String human(long bytes) {
        if (bytes >= MIB) {
            return (bytes / MIB) + " MiB";
        }
        if (bytes >= 1024) {
            return (bytes / 1024) + " KiB";
        }
        return bytes + " bytes";
    }

    private ByteSizes() {}
}
