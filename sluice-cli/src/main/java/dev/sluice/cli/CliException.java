package dev.sluice.cli;

/** A command failed in a way the user should read: the message says why and what to do. */
final class CliException extends RuntimeException {

    /** The request was refused or failed. */
    static final int FAILED = 1;
    /** The command line was wrong. */
    static final int USAGE = 2;
    /** The cluster could not be reached. */
    static final int UNREACHABLE = 3;

    private final int exitCode;

    CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
