package dev.sluice.api;

import dev.sluice.model.CredentialName;
import dev.sluice.model.Scope;
import java.util.Objects;
import java.util.Optional;

/** Who sent a request, as {@link HttpAccess} established it before any route ran. */
public sealed interface Caller {

    /** Whether the caller may do what {@code scope} allows. */
    boolean may(Scope scope);

    /** The credential to record for what this caller changes; empty when the node checks none. */
    Optional<CredentialName> credential();

    /** A request to a node that checks no credentials: it may do anything, as before credentials existed. */
    record Unchecked() implements Caller {
        @Override
        public boolean may(Scope scope) {
            return true;
        }

        @Override
        public Optional<CredentialName> credential() {
            return Optional.empty();
        }
    }

    /** A request with a valid credential. */
    record Authenticated(Credential held) implements Caller {
        public Authenticated {
            Objects.requireNonNull(held, "held");
        }

        @Override
        public boolean may(Scope scope) {
            return held.grants(scope);
        }

        @Override
        public Optional<CredentialName> credential() {
            return Optional.of(held.name());
        }
    }

    Caller UNCHECKED = new Unchecked();
}
