package dev.sluice.chaos;

import dev.sluice.api.Credential;
import dev.sluice.api.TokenHash;
import dev.sluice.cli.ServerLaunch;
import dev.sluice.model.CredentialName;
import dev.sluice.model.Scope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Set;

/**
 * The secrets a cluster across machines runs with, as docs/security.md asks for one, written into a directory:
 * a credentials file with two credentials (hashes only), the operator's token ({@code admin} and {@code data}:
 * the harness's clients and operator, and a person's CLI), the nodes' token ({@code operate}: what nodes show
 * each other), and the ZooKeeper secret that owns the cluster's tree. Every file is created readable by its
 * owner only. Owns nothing after {@link #write}: the directory goes with the run's data.
 *
 * @param credentialsFile what every node's {@code --credentials-file} names
 * @param operatorTokenFile the token of the {@code operator} credential
 * @param nodeTokenFile what every node's {@code --node-token-file} names
 * @param zooKeeperSecretFile what every node's {@code --zookeeper-secret-file} names
 */
record HostCredentials(Path credentialsFile, Path operatorTokenFile, String operatorToken, Path nodeTokenFile, Path zooKeeperSecretFile) {

    static final String CREDENTIALS = "credentials";
    static final String OPERATOR_TOKEN = "operator.token";
    static final String NODE_TOKEN = "node.token";
    static final String ZOOKEEPER_SECRET = "zookeeper-secret";

    /** Makes fresh tokens, the credentials file and the ZooKeeper secret in {@code directory} (which must not hold them yet). */
    static HostCredentials write(Path directory) throws IOException {
        Files.createDirectories(directory);
        SecureRandom random = new SecureRandom();
        String operator = TokenHash.newToken(random);
        String node = TokenHash.newToken(random);
        Path operatorFile = directory.resolve(OPERATOR_TOKEN);
        Path nodeFile = directory.resolve(NODE_TOKEN);
        writePrivate(operatorFile, operator + "\n");
        writePrivate(nodeFile, node + "\n");
        Path credentials = directory.resolve(CREDENTIALS);
        writePrivate(credentials, "# NAME SCOPES HASH (docs/security.md); the tokens are in " + OPERATOR_TOKEN + " and " + NODE_TOKEN + "\n"
                + credential("operator", EnumSet.of(Scope.ADMIN, Scope.DATA), operator, random).line() + "\n"
                + credential("node", EnumSet.of(Scope.OPERATE), node, random).line() + "\n");
        Path secret = directory.resolve(ZOOKEEPER_SECRET);
        ServerLaunch.createZooKeeperSecret(secret);
        return new HostCredentials(credentials, operatorFile, operator, nodeFile, secret);
    }

    /** Names the files only: a token in a log line or an assertion message would be a leaked token. */
    @Override
    public String toString() {
        return "HostCredentials[" + credentialsFile + ", tokens in " + operatorTokenFile + " and " + nodeTokenFile + "]";
    }

    private static Credential credential(String name, Set<Scope> scopes, String token, SecureRandom random) {
        return new Credential(CredentialName.of(name), scopes, TokenHash.of(token, random));
    }

    /** Created with owner-only permissions rather than restricted afterwards, so nobody else can open it in between. */
    private static void writePrivate(Path file, String text) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
