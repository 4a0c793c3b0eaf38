package dev.sluice.cli;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * How a command reaches the cluster: the HTTP address of any node, and the token for changes. A local
 * cluster writes its token to {@code ~/.sluice/token}, where commands find it without being told.
 */
final class ClusterOptions {

    static final String DEFAULT_URL = "http://127.0.0.1:8080";

    @Option(names = "--url", description = "HTTP address of any node (env SLUICE_URL; default ${DEFAULT-VALUE})",
            defaultValue = "${env:SLUICE_URL:-" + DEFAULT_URL + "}")
    String url;

    @Option(names = "--token", description = "bearer token for changes (env SLUICE_TOKEN; else ~/.sluice/token)",
            defaultValue = "${env:SLUICE_TOKEN}")
    String token;

    @Option(names = {"-o", "--output"}, description = "output format: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})", defaultValue = "table")
    Output output;

    enum Output { table, json }

    /** Where the CLI keeps what it shares between runs (the local cluster's token): SLUICE_HOME, else ~/.sluice. */
    static Path home() {
        String property = System.getProperty("sluice.home");
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        String configured = System.getenv("SLUICE_HOME");
        return configured != null && !configured.isBlank() ? Path.of(configured) : Path.of(System.getProperty("user.home"), ".sluice");
    }

    URI baseUri() {
        try {
            URI uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new IllegalArgumentException("no scheme or host");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, "--url '" + url + "' is not an HTTP address like " + DEFAULT_URL);
        }
    }

    Optional<String> token() {
        if (token != null && !token.isBlank()) {
            return Optional.of(token.trim());
        }
        Path file = home().resolve("token");
        try {
            return Files.isReadable(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8).trim()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    AdminClient client() {
        return new AdminClient(baseUri(), token());
    }

    boolean json() {
        return output == Output.json;
    }
}
