package dev.sluice.security;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where the TLS files live in a certificate directory, named as CockroachDB's and Kafka's operators expect:
 * {@code ca.crt} and {@code ca.key} for the cluster's CA, {@code <node>.crt} and {@code <node>.key} for a node.
 */
public final class TlsFiles {

    public static final String CA_CERTIFICATE = "ca.crt";
    public static final String CA_KEY = "ca.key";

    /** Node names become file names: letters, digits, '-', '_' and '.', not starting with '.', and never {@code ca}. */
    private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}");

    private TlsFiles() {}

    public static Path caCertificate(Path dir) {
        return dir.resolve(CA_CERTIFICATE);
    }

    public static Path caKey(Path dir) {
        return dir.resolve(CA_KEY);
    }

    public static Path nodeCertificate(Path dir, String node) {
        return dir.resolve(checkNodeName(node) + ".crt");
    }

    public static Path nodeKey(Path dir, String node) {
        return dir.resolve(checkNodeName(node) + ".key");
    }

    /**
     * @throws IllegalArgumentException if the name cannot be a file name in a certificate directory, or is {@code ca}
     */
    public static String checkNodeName(String node) {
        if (node == null || !NODE_NAME.matcher(node).matches()) {
            throw new IllegalArgumentException("a node name for certificate files must be 1-63 letters, digits, '-', '_' or '.', not starting with '.', got '"
                    + node + "'");
        }
        if (node.equalsIgnoreCase("ca")) {
            throw new IllegalArgumentException("'ca' cannot name a node: its files would be the CA's own (ca.crt, ca.key)");
        }
        return node;
    }
}
