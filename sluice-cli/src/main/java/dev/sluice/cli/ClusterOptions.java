package dev.sluice.cli;

import dev.sluice.security.ClusterTrust;
import dev.sluice.security.TlsFileException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Option;

/**
 * How a command reaches the cluster: the HTTP address of any node, the token it sends, and the CA an
 * {@code https://} address must present a certificate of.
 *
 * <p>The address is {@code --url}, else {@code SLUICE_URL}, else the cluster {@code sluice local} started
 * last (recorded in {@code $SLUICE_HOME/current}), else {@value #DEFAULT_URL}. The token is {@code --token},
 * else {@code --token-file}, else {@code SLUICE_TOKEN}, else the one {@code sluice local} recorded for the
 * cluster at that address ({@link SluiceHome}). Each remembers where it came from, so a failure can say which
 * file or variable was read.
 */
final class ClusterOptions {

    static final String DEFAULT_URL = "http://127.0.0.1:8080";

    @Option(names = "--url", description = "HTTP address of any node (default: env SLUICE_URL, else the cluster 'sluice local' started last,"
            + " as recorded in $SLUICE_HOME/current, else " + DEFAULT_URL + ")")
    String url;

    @Option(names = "--token", description = "bearer token (default: --token-file, else env SLUICE_TOKEN, else the token 'sluice local'"
            + " recorded for the cluster at --url under $SLUICE_HOME/clusters; SLUICE_HOME defaults to ~/.sluice)")
    String token;

    @Option(names = "--token-file", description = "file holding the bearer token, such as a local cluster's <data-dir>/token")
    Path tokenFile;

    @Option(names = "--tls-ca", description = "PEM file of the cluster's CA certificate(s), the only CA trusted for an https:// address (default: env"
            + " SLUICE_TLS_CA, else the CA 'sluice local' recorded for the cluster at --url)")
    Path tlsCa;

    @Option(names = {"-o", "--output"}, description = "output format: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})", defaultValue = "table")
    Output output;

    enum Output { table, json }

    /** An address to talk to, and where it came from, in words ("--url", "SLUICE_URL", "/home/me/.sluice/current"). */
    record Target(URI url, String origin) {
        /** For messages: nothing for an address the user typed, else where it came from. */
        String originNote() {
            return origin.equals("--url") ? "" : " (address from " + origin + ")";
        }
    }

    /**
     * A token and where it came from.
     *
     * @param origin "--token", "SLUICE_TOKEN" or the file read
     * @param recorded the cluster record it was read from, if it came from {@link SluiceHome}
     */
    record Credential(String value, String origin, Optional<SluiceHome.Cluster> recorded) {}

    Target target() {
        String text;
        String origin;
        if (url != null && !url.isBlank()) {
            text = url;
            origin = "--url";
        } else if (System.getenv("SLUICE_URL") != null && !System.getenv("SLUICE_URL").isBlank()) {
            text = System.getenv("SLUICE_URL");
            origin = "SLUICE_URL";
        } else {
            SluiceHome home = SluiceHome.ofEnvironment();
            Optional<URI> current = home.currentUrl();
            if (current.isPresent()) {
                return new Target(current.get(), home.currentFile().toString());
            }
            text = DEFAULT_URL;
            origin = "the default";
        }
        try {
            URI uri = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            if (uri.getScheme() == null || uri.getHost() == null) {
                throw new IllegalArgumentException("no scheme or host");
            }
            return new Target(uri, origin);
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.USAGE, origin + " '" + text + "' is not an HTTP address like " + DEFAULT_URL);
        }
    }

    URI baseUri() {
        return target().url();
    }

    Optional<Credential> credential(URI clusterUrl) {
        if (token != null && !token.isBlank()) {
            return Optional.of(new Credential(token.trim(), "--token", Optional.empty()));
        }
        if (tokenFile != null) {
            try {
                return Optional.of(new Credential(Files.readString(tokenFile, StandardCharsets.UTF_8).trim(), tokenFile.toAbsolutePath().toString(),
                        Optional.empty()));
            } catch (IOException e) {
                throw new CliException(CliException.USAGE, "cannot read --token-file " + tokenFile + ": " + e.getMessage());
            }
        }
        String fromEnvironment = System.getenv("SLUICE_TOKEN");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return Optional.of(new Credential(fromEnvironment.trim(), "SLUICE_TOKEN", Optional.empty()));
        }
        return SluiceHome.ofEnvironment().clusterAt(clusterUrl)
                .map(cluster -> new Credential(cluster.token(), cluster.tokenFile().toString(), Optional.of(cluster)));
    }

    /**
     * What the CLI trusts for an {@code https://} address: a TLS context that trusts only the cluster's CA, and where
     * the CA came from ({@code --tls-ca FILE}, {@code SLUICE_TLS_CA (FILE)} or the file recorded for the cluster).
     */
    record Trust(SSLContext context, String origin) {}

    /**
     * The CA from {@code --tls-ca}, else {@code SLUICE_TLS_CA}, else the copy {@code sluice local} recorded for the
     * cluster at {@code clusterUrl}; empty when none is known, and the JDK's default CAs apply.
     */
    Optional<Trust> trust(URI clusterUrl) {
        Path file;
        String origin;
        String fromEnvironment = System.getenv("SLUICE_TLS_CA");
        if (tlsCa != null) {
            file = tlsCa;
            origin = "--tls-ca " + tlsCa;
        } else if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            file = Path.of(fromEnvironment.trim());
            origin = "SLUICE_TLS_CA (" + file + ")";
        } else {
            Optional<Path> recorded = SluiceHome.ofEnvironment().clusterAt(clusterUrl).flatMap(SluiceHome.Cluster::caFile);
            if (recorded.isEmpty()) {
                return Optional.empty();
            }
            file = recorded.get();
            origin = file.toString();
        }
        try {
            return Optional.of(new Trust(ClusterTrust.load(file, InstantSource.system()).sslContext(), origin));
        } catch (TlsFileException unusable) {
            throw new CliException(CliException.USAGE, "cannot use the CA from " + origin + ": " + unusable.getMessage());
        }
    }

    AdminClient client() {
        Target target = target();
        return new AdminClient(target, credential(target.url()), trust(target.url()));
    }

    boolean json() {
        return output == Output.json;
    }
}
