package dev.sluice.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * What the CLI keeps between runs, under {@code SLUICE_HOME} (default {@code ~/.sluice}); only
 * {@code sluice local} writes here:
 *
 * <ul>
 *   <li>{@code clusters/<host>-<port>/} per cluster, named for its first worker's address: {@code token}, a
 *       copy of the cluster's token, readable by its owner only, and {@code cluster.properties}, the HTTP
 *       addresses the cluster answers on and the token file it was copied from (the cluster's own
 *       {@code <data-dir>/token}); and, for a cluster with TLS, {@code ca.crt}, a copy of the cluster's CA certificate,
 *       which commands trust for its addresses;
 *   <li>{@code current}: the address of the cluster {@code sluice local} started last, which commands use
 *       when neither {@code --url} nor {@code SLUICE_URL} says where to go.
 * </ul>
 *
 * <p>One token per cluster, found by the address a command talks to, because a single shared token file
 * let every new local cluster or demo overwrite the token of the cluster an operator was working on, and
 * every change to it then failed with "the token is wrong".
 */
final class SluiceHome {

    /** Clusters looked at when finding the one an address belongs to: a guard, far above what one machine runs. */
    static final int MAX_CLUSTERS = 1_000;
    static final String CLUSTERS_DIRECTORY = "clusters";
    static final String TOKEN_FILE = "token";
    static final String CLUSTER_FILE = "cluster.properties";
    static final String CURRENT_FILE = "current";
    static final String CA_FILE = "ca.crt";

    private final Path root;

    SluiceHome(Path root) {
        this.root = root;
    }

    /** The home this process uses: the system property {@code sluice.home} (tests), else SLUICE_HOME, else ~/.sluice. */
    static SluiceHome ofEnvironment() {
        String property = System.getProperty("sluice.home");
        if (property != null && !property.isBlank()) {
            return new SluiceHome(Path.of(property));
        }
        String configured = System.getenv("SLUICE_HOME");
        return new SluiceHome(configured != null && !configured.isBlank() ? Path.of(configured) : Path.of(System.getProperty("user.home"), ".sluice"));
    }

    Path root() {
        return root;
    }

    Path currentFile() {
        return root.resolve(CURRENT_FILE);
    }

    /**
     * A cluster as recorded here.
     *
     * @param directory where its record is kept
     * @param urls the HTTP addresses its nodes answer on
     * @param token its token, as copied when it was recorded
     * @param tokenOrigin the token file it was copied from, if known: the cluster's own {@code <data-dir>/token}
     * @param caFile the copy of the cluster's CA certificate, if it has TLS
     */
    record Cluster(Path directory, List<URI> urls, String token, Optional<Path> tokenOrigin, Optional<Path> caFile) {
        Path tokenFile() {
            return directory.resolve(TOKEN_FILE);
        }
    }

    /**
     * Records a cluster's token for every address it answers on, and makes it the current cluster. A record of
     * another cluster on one of these addresses is dropped: that cluster is gone, since this one now has its ports.
     */
    Cluster remember(List<URI> urls, String token, Path tokenOrigin) throws IOException {
        return remember(urls, token, tokenOrigin, Optional.empty());
    }

    /** The same, with a copy of the cluster's CA certificate (when it has TLS), which commands then trust for its addresses. */
    Cluster remember(List<URI> urls, String token, Path tokenOrigin, Optional<Path> caOrigin) throws IOException {
        if (urls.isEmpty() || token.isBlank()) {
            throw new IllegalArgumentException("BUG: a cluster is recorded with its addresses and a token");
        }
        List<URI> normalized = urls.stream().map(SluiceHome::normalize).toList();
        for (Cluster other : clusters()) {
            if (!other.directory().getFileName().toString().equals(keyOf(normalized.getFirst()))
                    && other.urls().stream().anyMatch(normalized::contains)) {
                deleteRecord(other.directory());
            }
        }
        Path directory = root.resolve(CLUSTERS_DIRECTORY).resolve(keyOf(normalized.getFirst()));
        Files.createDirectories(directory);
        Path tokenFile = directory.resolve(TOKEN_FILE);
        Files.writeString(tokenFile, token + "\n", StandardCharsets.UTF_8);
        ServerLaunch.restrict(tokenFile);
        Properties properties = new Properties();
        properties.setProperty("urls", String.join(" ", normalized.stream().map(URI::toString).toList()));
        properties.setProperty("token-origin", tokenOrigin.toAbsolutePath().toString());
        Path caFile = directory.resolve(CA_FILE);
        if (caOrigin.isPresent()) {
            Files.copy(caOrigin.get(), caFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            properties.setProperty("ca-origin", caOrigin.get().toAbsolutePath().toString());
        } else {
            // A cluster recorded again without TLS must not keep trusting the CA of the one recorded before.
            Files.deleteIfExists(caFile);
        }
        try (OutputStream out = Files.newOutputStream(directory.resolve(CLUSTER_FILE))) {
            properties.store(out, "recorded by 'sluice local'; the token beside this file is a copy of token-origin");
        }
        Files.writeString(currentFile(), normalized.getFirst() + "\n", StandardCharsets.UTF_8);
        return new Cluster(directory, normalized, token, Optional.of(tokenOrigin.toAbsolutePath()), caOrigin.map(origin -> caFile));
    }

    /** The recorded cluster that answers on {@code url}, if any. */
    Optional<Cluster> clusterAt(URI url) {
        URI wanted = normalize(url);
        return clusters().stream().filter(c -> c.urls().contains(wanted)).findFirst();
    }

    /** The address of the cluster {@code sluice local} started last, if one was recorded. */
    Optional<URI> currentUrl() {
        Path file = currentFile();
        if (!Files.isReadable(file)) {
            return Optional.empty();
        }
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).trim();
            return text.isEmpty() ? Optional.empty() : Optional.of(URI.create(text));
        } catch (IOException | IllegalArgumentException unreadable) {
            throw new CliException(CliException.USAGE, "cannot read the current cluster's address from " + file + " (" + unreadable.getMessage()
                    + "); delete it, or pass --url");
        }
    }

    /** Every recorded cluster, in the order of their directory names; unreadable records are skipped. */
    List<Cluster> clusters() {
        Path clusters = root.resolve(CLUSTERS_DIRECTORY);
        if (!Files.isDirectory(clusters)) {
            return List.of();
        }
        List<Path> directories = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(clusters, Files::isDirectory)) {
            for (Path entry : entries) {
                if (directories.size() >= MAX_CLUSTERS) {
                    break;
                }
                directories.add(entry);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        directories.sort(Comparator.comparing(Path::toString));
        List<Cluster> found = new ArrayList<>();
        for (Path directory : directories) {
            read(directory).ifPresent(found::add);
        }
        return found;
    }

    private static Optional<Cluster> read(Path directory) {
        try {
            Properties properties = new Properties();
            try (InputStream in = Files.newInputStream(directory.resolve(CLUSTER_FILE))) {
                properties.load(in);
            }
            List<URI> urls = Arrays.stream(properties.getProperty("urls", "").trim().split("\\s+")).filter(s -> !s.isEmpty())
                    .map(URI::create).map(SluiceHome::normalize).toList();
            String token = Files.readString(directory.resolve(TOKEN_FILE), StandardCharsets.UTF_8).trim();
            String origin = properties.getProperty("token-origin", "");
            Path caFile = directory.resolve(CA_FILE);
            return urls.isEmpty() || token.isEmpty() ? Optional.empty()
                    : Optional.of(new Cluster(directory, urls, token, origin.isBlank() ? Optional.empty() : Optional.of(Path.of(origin)),
                            Files.isRegularFile(caFile) ? Optional.of(caFile) : Optional.empty()));
        } catch (IOException | IllegalArgumentException unreadable) {
            return Optional.empty();
        }
    }

    private static void deleteRecord(Path directory) throws IOException {
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** {@code http://127.0.0.1:8080/} and {@code HTTP://127.0.0.1:8080} are the same node: scheme, host and port only. */
    static URI normalize(URI url) {
        String scheme = url.getScheme() == null ? "http" : url.getScheme().toLowerCase(Locale.ROOT);
        int port = url.getPort() != -1 ? url.getPort() : scheme.equals("https") ? 443 : 80;
        String host = url.getHost() == null ? "" : url.getHost().toLowerCase(Locale.ROOT);
        return URI.create(scheme + "://" + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port);
    }

    /** A directory name for the cluster whose first worker answers on {@code url}: {@code 127.0.0.1-8080}. */
    static String keyOf(URI url) {
        URI normalized = normalize(url);
        String host = normalized.getHost().replaceAll("[^A-Za-z0-9.]", "_");
        return (normalized.getScheme().equals("https") ? "https-" : "") + host + "-" + normalized.getPort();
    }
}
