package dev.sluice.api;

import dev.sluice.model.CredentialName;
import dev.sluice.model.Scope;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The credentials a node accepts on its HTTP routes: an immutable set, read from a credentials file
 * ({@link #parse}), an older {@code --token-file} ({@link #legacyToken}), or both. {@link #NONE} means the node
 * checks nothing, as before credentials existed: every route is open, which suits a cluster on loopback only.
 *
 * <p>The file holds one credential per line, {@code NAME SCOPES HASH}, separated by spaces or tabs:
 *
 * <pre>
 * # who        scopes      sha256:salt:digest of the token
 * alice        admin       sha256:9c1e…:4f0a…
 * oncall       operate     sha256:…
 * grafana      read        sha256:…
 * billing-app  data        sha256:…
 * </pre>
 *
 * <p>{@code #} starts a comment, to the end of the line; blank lines are skipped. Scopes are comma-separated
 * wire names of {@link Scope}. Anything else is refused with the line it is on, and the whole file with it: a
 * node never runs on half of a file.
 */
public final class Credentials {

    /** No credentials: the node checks nothing. */
    public static final Credentials NONE = new Credentials(List.of());

    /** The name of the credential an older {@code --token-file} becomes. */
    public static final CredentialName LEGACY_TOKEN_NAME = CredentialName.of("token-file");
    /** Every scope: what the one token of an older {@code --token-file} could do, and still may. */
    public static final Set<Scope> ALL_SCOPES = Set.copyOf(EnumSet.allOf(Scope.class));

    /** The most credentials a file may hold; each request is checked against each of them. */
    public static final int MAX_CREDENTIALS = 1000;
    /** The largest credentials file read: {@link #MAX_CREDENTIALS} lines with room for comments. */
    public static final int MAX_FILE_BYTES = 1024 * 1024;

    private final List<Credential> all;

    private Credentials(List<Credential> all) {
        this.all = List.copyOf(all);
    }

    /**
     * @throws IllegalArgumentException if two credentials share a name, or there are more than {@link #MAX_CREDENTIALS}
     */
    public static Credentials of(List<Credential> credentials) {
        if (credentials.size() > MAX_CREDENTIALS) {
            throw new IllegalArgumentException(credentials.size() + " credentials; the limit is " + MAX_CREDENTIALS);
        }
        Set<CredentialName> names = new HashSet<>();
        for (Credential credential : credentials) {
            if (!names.add(credential.name())) {
                throw new IllegalArgumentException("two credentials are named " + credential.name());
            }
        }
        return new Credentials(credentials);
    }

    /** The one credential of an older {@code --token-file}: named {@link #LEGACY_TOKEN_NAME}, with every scope. */
    public static Credential legacyToken(String token, java.util.random.RandomGenerator random) {
        return new Credential(LEGACY_TOKEN_NAME, ALL_SCOPES, TokenHash.of(token, random));
    }

    /** Whether the node checks credentials at all. */
    public boolean enforced() {
        return !all.isEmpty();
    }

    public List<Credential> all() {
        return all;
    }

    /** These credentials and {@code other}. @throws IllegalArgumentException if a name is taken */
    public Credentials plus(Credential other) {
        List<Credential> more = new ArrayList<>(all);
        more.add(other);
        return of(more);
    }

    /**
     * The credential whose token {@code token} is. Every credential is compared, whichever matches, so the time
     * taken says nothing about which one did or how close a guess came.
     */
    public Optional<Credential> authenticate(String token) {
        byte[] offered = token.getBytes(StandardCharsets.UTF_8);
        Credential found = null;
        for (Credential credential : all) {
            if (credential.hash().matches(offered) && found == null) {
                found = credential;
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * Reads a credentials file's text.
     *
     * @param source what to call the file in messages (its path)
     * @throws IllegalArgumentException naming {@code source} and the line, for the first thing wrong; a message never
     *     repeats a hash or token field, which may hold a token pasted in the wrong place
     */
    public static Credentials parse(String text, String source) {
        if (text.length() > MAX_FILE_BYTES) {
            throw new IllegalArgumentException(source + " is larger than " + MAX_FILE_BYTES + " bytes: not a credentials file");
        }
        List<Credential> credentials = new ArrayList<>();
        Set<CredentialName> names = new HashSet<>();
        List<String> lines = text.lines().toList();
        for (int index = 0; index < lines.size(); index++) {
            String where = source + " line " + (index + 1);
            String line = lines.get(index);
            int comment = line.indexOf('#');
            String content = (comment >= 0 ? line.substring(0, comment) : line).strip();
            if (content.isEmpty()) {
                continue;
            }
            String[] fields = content.split("[ \\t]+");
            if (fields.length != 3) {
                throw new IllegalArgumentException(where + ": expected NAME SCOPES HASH (three fields), found " + fields.length);
            }
            CredentialName name;
            try {
                name = CredentialName.of(fields[0]);
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException(where + ": " + bad.getMessage());
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException(where + ": a credential named " + name + " is already on an earlier line");
            }
            Set<Scope> scopes = EnumSet.noneOf(Scope.class);
            for (String scope : fields[1].split(",", -1)) {
                try {
                    if (!scopes.add(Scope.parse(scope))) {
                        throw new IllegalArgumentException("scope " + scope + " is listed twice");
                    }
                } catch (IllegalArgumentException bad) {
                    throw new IllegalArgumentException(where + " (" + name + "): " + (scope.isEmpty() ? "an empty scope in '" + fields[1] + "'"
                            : bad.getMessage()));
                }
            }
            TokenHash hash;
            try {
                hash = TokenHash.parse(fields[2]);
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException(where + " (" + name + "): " + bad.getMessage());
            }
            credentials.add(new Credential(name, scopes, hash));
            if (credentials.size() > MAX_CREDENTIALS) {
                throw new IllegalArgumentException(where + ": more than " + MAX_CREDENTIALS + " credentials");
            }
        }
        if (credentials.isEmpty()) {
            throw new IllegalArgumentException(source + " holds no credential: a node with it would refuse every request."
                    + " Add a line with 'sluice credentials add NAME --scopes admin', or leave the setting out to check nothing");
        }
        return new Credentials(credentials);
    }

    @Override
    public String toString() {
        return all.isEmpty() ? "no credentials" : all.toString();
    }
}
