package dev.sluice.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The name of an API credential ({@code ops-alice}, {@code dashboard}, {@code billing-app}): what the audit log,
 * the events and a refusal say about who asked, in place of the token, which nothing outside the credentials
 * file's hash ever holds. Lower case letters, digits, {@code .}, {@code _} and {@code -}, starting with a letter
 * or digit, at most {@value #MAX_CHARS} characters, so it prints the same in a log line, a table and a URL.
 */
public record CredentialName(String value) {

    public static final int MAX_CHARS = 64;
    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9._-]{0," + (MAX_CHARS - 1) + "}");

    public CredentialName {
        Objects.requireNonNull(value, "value");
        if (!VALID.matcher(value).matches()) {
            throw new IllegalArgumentException("credential name '" + WireNames.printable(value) + "' must be 1 to " + MAX_CHARS
                    + " characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit");
        }
    }

    @JsonCreator
    public static CredentialName of(String value) {
        return new CredentialName(value);
    }

    @JsonValue
    @Override
    public String value() {
        return value;
    }

    @Override
    public String toString() {
        return value;
    }
}
