package dev.sluice.security;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A TLS file that cannot be used: missing, unreadable, not the PEM it should be, a key that does not match its
 * certificate, an expired certificate, a certificate the cluster's CA did not sign, or a file that would be
 * overwritten. The message starts with the file and says what is wrong with it; it never contains key material,
 * so it may be logged and shown as it is.
 */
public final class TlsFileException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    TlsFileException(Path file, String problem) {
        this(file, problem, null);
    }

    TlsFileException(Path file, String problem, Throwable cause) {
        super(Objects.requireNonNull(file, "file") + ": " + Objects.requireNonNull(problem, "problem"), cause);
        this.file = file;
    }

    /** The file the problem is with. */
    public Path file() {
        return file;
    }
}
