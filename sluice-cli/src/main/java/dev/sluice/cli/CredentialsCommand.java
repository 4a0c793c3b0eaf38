package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.api.Credential;
import dev.sluice.api.Credentials;
import dev.sluice.api.TokenHash;
import dev.sluice.model.CredentialName;
import dev.sluice.model.Scope;
import dev.sluice.wire.CredentialView;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice credentials …}: make the lines of a credentials file, and ask a cluster which credential a token is.
 * Making a credential touches no cluster: its nodes read the file (docs/security.md).
 */
@Command(name = "credentials", description = "Make credentials-file lines (name, scopes, token hash) and show which credential a token is.",
        mixinStandardHelpOptions = true, subcommands = {CredentialsCommand.Add.class, CredentialsCommand.Hash.class, CredentialsCommand.WhoAmI.class})
final class CredentialsCommand {

    static final String SCOPES_DESCRIPTION = "comma-separated: read; operate (drain, maintenance, rollouts, shutdown; includes read);"
            + " admin (anything forced; includes operate and read); data (the data API)";

    /** The scopes in {@code text}, refused with the accepted ones named when one is unknown. */
    static Set<Scope> scopes(String text) {
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String scope : text.split(",", -1)) {
            try {
                scopes.add(Scope.parse(scope));
            } catch (IllegalArgumentException unknown) {
                throw new CliException(CliException.USAGE, "--scopes: " + unknown.getMessage());
            }
        }
        return scopes;
    }

    static CredentialName name(String text) {
        try {
            return CredentialName.of(text);
        } catch (IllegalArgumentException bad) {
            throw new CliException(CliException.USAGE, bad.getMessage());
        }
    }

    @Command(name = "add", description = "Make a credential with a fresh random token: print its line (or append it to a credentials file) and"
            + " write the token to a file readable by you only.",
            footer = {"", "The line goes to stdout unless --credentials-file is given; the token goes to --token-out,",
                "else to stderr. Nodes re-read their credentials file within a second of it changing: no restart.", "",
                "Examples:",
                "  sluice credentials add oncall --scopes operate --token-out oncall.token \\",
                "      --credentials-file /etc/sluice/credentials",
                "  sluice credentials add grafana --scopes read >> /etc/sluice/credentials"},
            mixinStandardHelpOptions = true)
    static final class Add implements Callable<Integer> {
        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NAME", description = "the credential's name: a-z, 0-9, '.', '_', '-'; what the audit log records") String name;
        @Option(names = "--scopes", required = true, description = SCOPES_DESCRIPTION) String scopes;
        @Option(names = "--token-out", description = "write the token to this new file (mode 0600) instead of stderr") Path tokenOut;
        @Option(names = "--credentials-file", description = "append the line to this credentials file (checked first: the name must be new)")
        Path credentialsFile;

        @Override
        public Integer call() throws IOException {
            SecureRandom random = new SecureRandom();
            String token = TokenHash.newToken(random);
            Credential credential = new Credential(name(name), scopes(scopes), TokenHash.of(token, random));
            if (credentialsFile != null) {
                append(credentialsFile, credential);
            }
            if (tokenOut != null) {
                LocalCredentials.writePrivate(tokenOut, token + "\n");
            }
            PrintWriter out = spec.commandLine().getOut();
            if (credentialsFile == null) {
                out.println(credential.line());
            } else {
                out.println("added " + credential + " to " + credentialsFile + "; the nodes take it within a second");
            }
            out.flush();
            if (tokenOut == null) {
                spec.commandLine().getErr().println("token for " + credential.name() + " (shown once; store it now): " + token);
            } else {
                out.println("its token is in " + tokenOut);
            }
            return 0;
        }

        /** Appends {@code credential} to {@code file} after checking that the file with it still parses. */
        private static void append(Path file, Credential credential) throws IOException {
            String current = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
            String updated = current + (current.isEmpty() || current.endsWith("\n") ? "" : "\n") + credential.line() + "\n";
            try {
                Credentials.parse(updated, file.toString());
            } catch (IllegalArgumentException invalid) {
                throw new CliException(CliException.FAILED, "not added: " + invalid.getMessage());
            }
            if (Files.exists(file)) {
                Files.writeString(file, updated.substring(current.length()), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            } else {
                LocalCredentials.writePrivate(file, updated);
            }
        }
    }

    @Command(name = "hash", description = "Print the credentials-file line for a token you already have (from a secret manager), read from stdin"
            + " or --token-file.",
            footer = {"", "Example:", "  vault read -field=token secret/sluice/ci | sluice credentials hash ci --scopes operate"},
            mixinStandardHelpOptions = true)
    static final class Hash implements Callable<Integer> {
        /** More than any token; a larger input is not one. */
        static final int MAX_TOKEN_BYTES = 4096;

        @Spec CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "NAME", description = "the credential's name") String name;
        @Option(names = "--scopes", required = true, description = SCOPES_DESCRIPTION) String scopes;
        @Option(names = "--token-file", description = "read the token from this file instead of stdin") Path tokenFile;

        @Override
        public Integer call() throws IOException {
            String token;
            if (tokenFile != null) {
                token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
            } else {
                InputStream in = System.in;
                token = new String(in.readNBytes(MAX_TOKEN_BYTES), StandardCharsets.UTF_8).strip();
            }
            try {
                TokenHash.requireUsableToken(token);
            } catch (IllegalArgumentException unusable) {
                throw new CliException(CliException.USAGE, unusable.getMessage());
            }
            Credential credential = new Credential(name(name), scopes(scopes), TokenHash.of(token, new SecureRandom()));
            spec.commandLine().getOut().println(credential.line());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "whoami", description = "Ask the cluster which credential the token this command sends is, and what it may do.",
            footer = {"", "With -o json: {\"checked\": true, \"name\": \"oncall\", \"scopes\": [\"operate\"],",
                "\"grants\": [\"read\", \"operate\"]}.",
                "", "Example:", "  sluice credentials whoami --token-file oncall.token"},
            mixinStandardHelpOptions = true)
    static final class WhoAmI implements Callable<Integer> {
        @Mixin ClusterOptions cluster;
        @Spec CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            JsonNode answer = cluster.client().getOk("/api/v1/credential");
            PrintWriter out = spec.commandLine().getOut();
            if (cluster.json()) {
                NodesCommand.printJson(out, answer);
                return 0;
            }
            CredentialView view = AdminClient.read(answer, CredentialView.class);
            if (!view.checked()) {
                out.println("the cluster at " + cluster.baseUri() + " checks no credentials: every request may do everything");
            } else {
                out.println(view.name() + ": scopes " + join(view.scopes()) + "; may use " + join(view.grants()));
            }
            out.flush();
            return 0;
        }

        private static String join(List<Scope> scopes) {
            return scopes.stream().map(Scope::wireName).collect(Collectors.joining(", "));
        }
    }
}
