package dev.sluice.cli;

import dev.sluice.security.CertificateAuthority;
import dev.sluice.security.NodeCertificate;
import dev.sluice.security.TlsFileException;
import dev.sluice.security.TlsFiles;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice certs}: makes a cluster's CA and its nodes' certificates, as CockroachDB's {@code cert} commands do.
 * The operator runs {@code certs ca} once, on a machine that keeps {@code ca.key} safe, then {@code certs node} for each
 * node, and copies {@code ca.crt}, {@code <node>.crt} and {@code <node>.key} to that node. Existing files are never
 * overwritten without {@code --force}: replacing a CA key by accident would leave every node's certificate orphaned.
 */
@Command(name = "certs", description = "Make the cluster's CA and node certificates for TLS (docs/security.md).",
        footer = {"", "Setting up three machines (10.0.0.11-13), on a machine that keeps the CA key:",
            "  sluice certs ca --dir certs",
            "  sluice certs node node-1 --host 10.0.0.11 --host node-1.example.com --dir certs",
            "  sluice certs node node-2 --host 10.0.0.12 --dir certs",
            "  sluice certs node node-3 --host 10.0.0.13 --dir certs",
            "then copy ca.crt, node-N.crt and node-N.key to machine N (never ca.key) and start it with",
            "  sluice server --name node-1 --http-host 10.0.0.11 --raft-host 10.0.0.11 \\",
            "      --tls-ca ca.crt --tls-cert node-1.crt --tls-key node-1.key …"},
        mixinStandardHelpOptions = true,
        subcommands = {CertsCommand.MakeCa.class, CertsCommand.MakeNode.class})
final class CertsCommand {

    @Command(name = "ca", description = "Make a new CA: <dir>/ca.crt (give it to every node and client) and <dir>/ca.key (keep it off the nodes).",
            footer = {"", "Examples:", "  sluice certs ca --dir certs", "  sluice certs ca --dir certs --cluster prod --validity 1825d"},
            mixinStandardHelpOptions = true)
    static final class MakeCa implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "directory for ca.crt and ca.key (created if missing)") Path dir;
        @Option(names = "--cluster", description = "cluster name, in the CA's subject (default ${DEFAULT-VALUE})", defaultValue = "sluice") String cluster;
        @Option(names = "--validity", description = "how long the CA is valid (default 3650d)", converter = DurationConverter.class) Duration validity;
        @Option(names = "--force", description = "replace an existing ca.crt and ca.key; every node certificate of the old CA stops being trusted")
        boolean force;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Duration valid = validity == null ? CertificateAuthority.DEFAULT_CA_VALIDITY : validity;
            CertificateAuthority authority;
            try {
                authority = CertificateAuthority.create(cluster, valid, InstantSource.system());
            } catch (IllegalArgumentException invalid) {
                throw new CliException(CliException.USAGE, invalid.getMessage());
            }
            write(() -> authority.write(dir, force));
            PrintWriter out = spec.commandLine().getOut();
            X509Certificate certificate = authority.certificate();
            out.println("wrote " + TlsFiles.caCertificate(dir) + " (" + certificate.getSubjectX500Principal().getName() + ", expires "
                    + certificate.getNotAfter().toInstant() + ")");
            out.println("wrote " + TlsFiles.caKey(dir) + " (readable by you only; keep it off the nodes, and safe: it makes certificates every node trusts)");
            out.println("next: sluice certs node NAME --host ADDRESS --dir " + dir + "   (once per node)");
            out.flush();
            return 0;
        }
    }

    @Command(name = "node", description = "Issue a node's certificate with the CA in --dir: <dir>/<name>.crt and <dir>/<name>.key.",
            footer = {"", "Give every address the node binds or is reached at (--http-host, --raft-host, the DNS names",
                "clients use): a client refuses a certificate that does not name the address it dialled.", "",
                "Examples:", "  sluice certs node node-1 --host 10.0.0.11 --host node-1.example.com --dir certs",
                "  sluice certs node node-1 --host 10.0.0.11 --dir certs --force   (renews node-1.crt and .key)"},
            mixinStandardHelpOptions = true)
    static final class MakeNode implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", description = "the node's name (as its --name), which names its files") String name;
        @Option(names = "--host", required = true, paramLabel = "HOST", description = "an IP address or DNS name the node is reached at; repeat for each")
        List<String> hosts;
        @Option(names = "--dir", required = true, description = "directory holding ca.crt and ca.key, where the node's files are written") Path dir;
        @Option(names = "--validity", description = "how long the certificate is valid (default 730d)", converter = DurationConverter.class) Duration validity;
        @Option(names = "--force", description = "replace the node's existing certificate and key") boolean force;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Duration valid = validity == null ? CertificateAuthority.DEFAULT_NODE_VALIDITY : validity;
            Path certificateFile;
            Path keyFile;
            try {
                certificateFile = TlsFiles.nodeCertificate(dir, name);
                keyFile = TlsFiles.nodeKey(dir, name);
            } catch (IllegalArgumentException invalid) {
                throw new CliException(CliException.USAGE, invalid.getMessage());
            }
            if (!force) {
                // Before the CA is read: an operator re-running a set-up script learns at once that nothing changed.
                for (Path existing : List.of(certificateFile, keyFile)) {
                    if (Files.exists(existing)) {
                        throw new CliException(CliException.FAILED, existing + ": already exists; nothing was written (--force replaces it)");
                    }
                }
            }
            CertificateAuthority authority;
            try {
                authority = CertificateAuthority.load(TlsFiles.caCertificate(dir), TlsFiles.caKey(dir), InstantSource.system());
            } catch (TlsFileException unusable) {
                throw new CliException(CliException.FAILED, "cannot issue with the CA in " + dir + ": " + unusable.getMessage()
                        + (Files.exists(TlsFiles.caCertificate(dir)) ? "" : " (make one with 'sluice certs ca --dir " + dir + "')"));
            }
            NodeCertificate node;
            try {
                node = authority.issue(name, hosts, valid, InstantSource.system());
            } catch (IllegalArgumentException invalid) {
                throw new CliException(CliException.USAGE, invalid.getMessage());
            }
            write(() -> node.write(dir, force));
            PrintWriter out = spec.commandLine().getOut();
            X509Certificate certificate = node.certificate();
            out.println("wrote " + certificateFile + " (" + certificate.getSubjectX500Principal().getName() + ", hosts " + String.join(", ", hostsOf(certificate))
                    + ", expires " + certificate.getNotAfter().toInstant() + ")");
            out.println("wrote " + keyFile + " (readable by you only)");
            out.println("copy " + TlsFiles.CA_CERTIFICATE + ", " + certificateFile.getFileName() + " and " + keyFile.getFileName() + " to " + name
                    + " and start it with --tls-ca, --tls-cert and --tls-key");
            out.flush();
            return 0;
        }
    }

    private static void write(Runnable writing) {
        try {
            writing.run();
        } catch (TlsFileException refused) {
            throw new CliException(CliException.FAILED, refused.getMessage());
        }
    }

    /** The certificate's subject alternative names, IP addresses and DNS names alike, as they were given. */
    static List<String> hostsOf(X509Certificate certificate) {
        List<String> hosts = new ArrayList<>();
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names != null) {
                names.forEach(name -> hosts.add(String.valueOf(name.get(1))));
            }
        } catch (CertificateParsingException unreadable) {
            hosts.add("(unreadable)");
        }
        return hosts;
    }
}
