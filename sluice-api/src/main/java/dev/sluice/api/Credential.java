package dev.sluice.api;

import dev.sluice.model.CredentialName;
import dev.sluice.model.Scope;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One credential a node accepts: its name (what the audit log and refusals say), the scopes it was given, and its
 * token's hash. Holds no token.
 */
public record Credential(CredentialName name, Set<Scope> scopes, TokenHash hash) {

    public Credential {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hash, "hash");
        if (scopes == null || scopes.isEmpty()) {
            throw new IllegalArgumentException("credential " + name + " needs at least one scope");
        }
        scopes = Set.copyOf(EnumSet.copyOf(scopes));
    }

    /** Whether this credential may do what {@code needed} allows, directly or through a scope that implies it. */
    public boolean grants(Scope needed) {
        return Scope.anyGrants(scopes, needed);
    }

    /** Its scopes as the file and the API write them: wire names in declaration order, comma-separated. */
    public String scopeList() {
        return scopeList(scopes);
    }

    static String scopeList(Set<Scope> scopes) {
        return EnumSet.copyOf(scopes).stream().map(Scope::wireName).collect(Collectors.joining(","));
    }

    /** The line of a credentials file that holds this credential. */
    public String line() {
        return name + " " + scopeList() + " " + hash;
    }

    @Override
    public String toString() {
        // Never the hash: a log line or a message names a credential, nothing more.
        return name + " (" + scopeList() + ")";
    }
}
