package dev.sluice.metadata;

import java.util.regex.Pattern;

/** Validation of metadata keys, shared by every store so they accept exactly the same keys. */
final class Keys {

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");
    static final int MAX_KEY_LENGTH = 512;

    private Keys() {}

    static String requireValid(String key) {
        if (key == null || key.length() > MAX_KEY_LENGTH || !KEY.matcher(key).matches()
                || key.contains("/./") || key.contains("/../") || key.startsWith("./") || key.startsWith("../")
                || key.equals(".") || key.equals("..") || key.endsWith("/.") || key.endsWith("/..")) {
            throw new IllegalArgumentException("invalid metadata key '" + key
                    + "': use segments of letters, digits, '.', '_' or '-' joined by '/', at most " + MAX_KEY_LENGTH + " characters");
        }
        return key;
    }

    static byte[] requireValidValue(String key, byte[] value) {
        if (value == null) {
            throw new IllegalArgumentException("value for '" + key + "' must not be null");
        }
        if (value.length > MetadataStore.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("value for '" + key + "' is " + value.length
                    + " bytes; the limit is " + MetadataStore.MAX_VALUE_BYTES);
        }
        return value;
    }

    /** The sequence number of a log entry named {@code e-0000000042}, or -1 for any other name. */
    static long sequenceOf(String childName) {
        if (!childName.startsWith(LOG_ENTRY_PREFIX) || childName.length() != LOG_ENTRY_PREFIX.length() + 10) {
            return -1;
        }
        String digits = childName.substring(LOG_ENTRY_PREFIX.length());
        return digits.chars().allMatch(Character::isDigit) ? Long.parseLong(digits) : -1;
    }

    static final String LOG_ENTRY_PREFIX = "e-";

    static String logEntryName(long sequence) {
        return LOG_ENTRY_PREFIX + String.format("%010d", sequence);
    }
}
