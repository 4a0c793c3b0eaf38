package dev.sluice.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a node's HTTP routes get the credentials they check. {@link #fixed} never changes;
 * {@link #watching} follows a credentials file, so a rotation — a new line for the new token, then the old
 * line removed — needs no restart.
 */
public interface CredentialSource {

    /** The credentials to check this request against. Cheap: called on every request. */
    Credentials current();

    /** No credentials: the node checks nothing. */
    CredentialSource NONE = () -> Credentials.NONE;

    static CredentialSource fixed(Credentials credentials) {
        Objects.requireNonNull(credentials, "credentials");
        return () -> credentials;
    }

    /**
     * Reads {@code file} now and follows it.
     *
     * @param legacy the credential of an older {@code --token-file}, kept whatever the file holds
     * @throws IllegalArgumentException if the file cannot be read or is not a valid credentials file (the message
     *     names the line), so a node with a broken file does not start
     */
    static CredentialSource watching(Path file, Optional<Credential> legacy, InstantSource clock) {
        return new WatchedFile(file, legacy, clock);
    }

    /**
     * A credentials file, read again when it changes. At most once per {@link #CHECK_INTERVAL} a request looks at
     * the file's modification time, size and identity (a file moved into place is another file); when one differs
     * the file is read again. A new file that cannot be read or parsed is not taken: the node keeps the credentials
     * it had and logs why (once per version of the file), so a typo during a rotation locks nobody out.
     */
    final class WatchedFile implements CredentialSource {

        private static final Logger log = LoggerFactory.getLogger(CredentialSource.class);

        /** How stale the credentials may be after the file changed: a rotation takes effect within this. */
        public static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

        private final Path file;
        private final Optional<Credential> legacy;
        private final InstantSource clock;
        private volatile Credentials current;
        /** When a request may look at the file again; read without the lock, so most requests take none. */
        private volatile Instant nextCheckAt;
        private Stamp seen;

        /** What says a file changed without reading it. */
        private record Stamp(Instant modified, long size, Object identity) {
            static Stamp of(Path file) throws IOException {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                return new Stamp(attributes.lastModifiedTime().toInstant(), attributes.size(), attributes.fileKey());
            }
        }

        WatchedFile(Path file, Optional<Credential> legacy, InstantSource clock) {
            this.file = Objects.requireNonNull(file, "file");
            this.legacy = Objects.requireNonNull(legacy, "legacy");
            this.clock = Objects.requireNonNull(clock, "clock");
            try {
                this.seen = Stamp.of(file);
                this.current = read();
            } catch (IOException unreadable) {
                throw new IllegalArgumentException("cannot read the credentials file " + file + ": " + unreadable.getMessage(), unreadable);
            }
            this.nextCheckAt = clock.instant().plus(CHECK_INTERVAL);
            log.info("checking credentials from {}: {}", file, current);
        }

        @Override
        public Credentials current() {
            Instant now = clock.instant();
            if (now.isBefore(nextCheckAt)) {
                return current;
            }
            synchronized (this) {
                // Another request may have looked meanwhile; one look per interval is enough.
                if (!now.isBefore(nextCheckAt)) {
                    nextCheckAt = now.plus(CHECK_INTERVAL);
                    reloadIfChanged();
                }
                return current;
            }
        }

        private void reloadIfChanged() {
            Stamp stamp;
            try {
                stamp = Stamp.of(file);
            } catch (IOException gone) {
                if (seen != null) {
                    log.warn("the credentials file {} cannot be read ({}); keeping the {} credentials read before", file, gone.getMessage(),
                            current.all().size());
                    seen = null;
                }
                return;
            }
            if (stamp.equals(seen)) {
                return;
            }
            seen = stamp;
            try {
                Credentials read = read();
                log.info("the credentials file {} changed; checking {} from now on", file, read);
                current = read;
            } catch (IOException | IllegalArgumentException broken) {
                log.warn("the credentials file {} changed but is not taken: {}; keeping the {} credentials read before", file,
                        broken.getMessage(), current.all().size());
            }
        }

        private Credentials read() throws IOException {
            if (Files.size(file) > Credentials.MAX_FILE_BYTES) {
                throw new IllegalArgumentException(file + " is larger than " + Credentials.MAX_FILE_BYTES + " bytes: not a credentials file");
            }
            Credentials parsed = Credentials.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
            return legacy.isPresent() ? parsed.plus(legacy.get()) : parsed;
        }
    }
}
