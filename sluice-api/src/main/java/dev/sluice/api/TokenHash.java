package dev.sluice.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * A bearer token as a credentials file keeps it: {@code sha256:<salt>:<digest>}, the SHA-256 of a random salt
 * followed by the token's UTF-8 bytes, both in lower-case hex. The file never holds a token, so a copy of it
 * (in a backup, a config repository, a support bundle) lets nobody in. The salt makes the same token look
 * different in two files, so one cannot tell that two clusters share a token.
 *
 * <p>One unkeyed hash rather than a slow one (bcrypt, PBKDF2) because every request is checked, and the tokens
 * this is meant for are {@value #TOKEN_BYTES} random bytes ({@link #newToken}): nobody guesses those, however fast
 * the hash. A person's password would need a slow hash; Sluice takes no passwords.
 */
public record TokenHash(byte[] salt, byte[] digest) {

    public static final String ALGORITHM_PREFIX = "sha256:";
    /** Bytes of randomness in a token {@link #newToken} makes: 256 bits, as Kafka's and CockroachDB's generated secrets. */
    public static final int TOKEN_BYTES = 32;
    /** The shortest token a credential may have: below this, a token could be guessed or typed from memory. */
    public static final int MIN_TOKEN_CHARS = 24;
    static final int SALT_BYTES = 16;
    static final int DIGEST_BYTES = 32;

    public TokenHash {
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(digest, "digest");
        if (salt.length != SALT_BYTES || digest.length != DIGEST_BYTES) {
            throw new IllegalArgumentException("a token hash has a " + SALT_BYTES + "-byte salt and a " + DIGEST_BYTES + "-byte digest");
        }
        salt = salt.clone();
        digest = digest.clone();
    }

    /** A fresh random token: {@value #TOKEN_BYTES} bytes in hex. */
    public static String newToken(RandomGenerator random) {
        byte[] bytes = new byte[TOKEN_BYTES];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /**
     * The hash of {@code token} under a fresh salt from {@code random}. It takes any token, since the one of an
     * older {@code --token-file} is hashed too; a new credential's token goes through {@link #requireUsableToken}.
     */
    public static TokenHash of(String token, RandomGenerator random) {
        Objects.requireNonNull(token, "token");
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        return new TokenHash(salt, digest(salt, token.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Refuses a token for a new credential that is shorter than {@value #MIN_TOKEN_CHARS} characters or holds white
     * space or control characters (which a file or a header would not carry intact).
     *
     * @throws IllegalArgumentException saying which, without repeating the token
     */
    public static void requireUsableToken(String token) {
        Objects.requireNonNull(token, "token");
        if (token.length() < MIN_TOKEN_CHARS) {
            throw new IllegalArgumentException("a token must have at least " + MIN_TOKEN_CHARS + " characters, this one has " + token.length()
                    + "; let 'sluice credentials add' make one");
        }
        if (token.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
            throw new IllegalArgumentException("a token must not contain white space or control characters");
        }
    }

    /**
     * Reads {@code sha256:<32 hex salt>:<64 hex digest>}.
     *
     * @throws IllegalArgumentException saying what is wrong, without repeating the text (it may be a token pasted
     *     in the wrong place)
     */
    public static TokenHash parse(String text) {
        if (text == null || !text.startsWith(ALGORITHM_PREFIX)) {
            throw new IllegalArgumentException("a token hash starts with '" + ALGORITHM_PREFIX + "' (a token itself never goes in the file;"
                    + " 'sluice credentials hash' prints the line)");
        }
        String[] parts = text.substring(ALGORITHM_PREFIX.length()).split(":", -1);
        if (parts.length != 2 || parts[0].length() != SALT_BYTES * 2 || parts[1].length() != DIGEST_BYTES * 2) {
            throw new IllegalArgumentException("a token hash is " + ALGORITHM_PREFIX + "<" + SALT_BYTES * 2 + " hex digits of salt>:<"
                    + DIGEST_BYTES * 2 + " hex digits of digest>");
        }
        try {
            return new TokenHash(HexFormat.of().parseHex(parts[0]), HexFormat.of().parseHex(parts[1]));
        } catch (IllegalArgumentException notHex) {
            throw new IllegalArgumentException("a token hash's salt and digest are hex digits (0-9, a-f)");
        }
    }

    /** Whether {@code token} hashes to this; takes the same time whichever byte differs. */
    public boolean matches(byte[] token) {
        return MessageDigest.isEqual(digest(salt, token), digest);
    }

    private static byte[] digest(byte[] salt, byte[] token) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(salt);
            return sha256.digest(token);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("BUG: every JDK has SHA-256", e);
        }
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] digest() {
        return digest.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TokenHash that && MessageDigest.isEqual(salt, that.salt) && MessageDigest.isEqual(digest, that.digest);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(digest);
    }

    /** The form the credentials file holds. */
    @Override
    public String toString() {
        return ALGORITHM_PREFIX + HexFormat.of().formatHex(salt) + ":" + HexFormat.of().formatHex(digest);
    }
}
