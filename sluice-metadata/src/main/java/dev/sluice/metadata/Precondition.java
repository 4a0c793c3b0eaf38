package dev.sluice.metadata;

/** What must be true of a key for a write to it to apply. */
public sealed interface Precondition {

    /** Write whatever is there. */
    Precondition NONE = new None();

    /** Write only if the key does not exist yet. */
    Precondition DOES_NOT_EXIST = new DoesNotExist();

    /**
     * Write only if the key exists, at whatever version. For a key whose existence the writer knows from another key
     * its commit is conditioned on (a placement's index entries, whose placement's version the commit checks), so it
     * need not read the key's own version first.
     */
    Precondition EXISTS = new Exists();

    /** Write only if the key exists at exactly this version. */
    static Precondition matchesVersion(long version) {
        return new MatchesVersion(version);
    }

    record None() implements Precondition {}

    record DoesNotExist() implements Precondition {}

    record Exists() implements Precondition {}

    record MatchesVersion(long version) implements Precondition {
        public MatchesVersion {
            if (version < 1) {
                throw new IllegalArgumentException("stored versions start at 1, got " + version);
            }
        }
    }
}
