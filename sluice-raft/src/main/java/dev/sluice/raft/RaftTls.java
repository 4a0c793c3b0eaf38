package dev.sluice.raft;

import dev.sluice.security.TlsMaterial;
import java.util.Optional;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

/**
 * How a node's Raft traffic is secured: in plain text (a cluster on one machine's loopback, and tests), or
 * with mutual TLS under the cluster's CA. With TLS, every Ratis port of a node — peer replication and
 * elections, client requests, and group management and {@code setConfiguration} on the admin service —
 * accepts only a caller whose certificate the cluster's CA signed, and every call a node or the controller
 * makes presents the node's own certificate and checks the callee's against the CA.
 *
 * <p>Immutable; holds the node's key through its {@link TlsMaterial}.
 */
public final class RaftTls {

    /** No TLS: anyone who reaches a Raft port may use it. Only for loopback clusters and tests. */
    public static final RaftTls PLAINTEXT = new RaftTls(null);

    private final TlsMaterial material;

    private RaftTls(TlsMaterial material) {
        this.material = material;
    }

    /** Mutual TLS with {@code material}: the node's certificate and key, and the CAs it trusts. */
    public static RaftTls mutual(TlsMaterial material) {
        return new RaftTls(java.util.Objects.requireNonNull(material, "material"));
    }

    public boolean enabled() {
        return material != null;
    }

    public Optional<TlsMaterial> material() {
        return Optional.ofNullable(material);
    }

    /**
     * The Ratis parameters a server or a client RPC factory takes: with TLS, one configuration for the server,
     * client and admin services alike (Ratis falls back to the general one for each), requiring client certificates.
     */
    public Parameters parameters() {
        Parameters parameters = new Parameters();
        if (material != null) {
            GrpcConfigKeys.TLS.setConf(parameters, new GrpcTlsConfig(material.keyManager(), material.trustManager(), true));
        }
        return parameters;
    }

    @Override
    public String toString() {
        return material == null ? "plaintext" : "mutual TLS (" + material + ")";
    }
}
