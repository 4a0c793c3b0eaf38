package dev.sluice.cli;

import dev.sluice.api.Credential;
import dev.sluice.api.TokenHash;
import dev.sluice.model.CredentialName;
import dev.sluice.model.Scope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The credentials {@code sluice local} and the demo make in a cluster's data directory, so a local cluster runs with
 * credentials checked, as a production one should:
 *
 * <ul>
 *   <li>{@code token}: the operator's, {@code admin} and {@code data}, which the CLI uses (recorded in
 *       {@code $SLUICE_HOME} as before) and the dashboard link carries;
 *   <li>{@code read-token}: {@code read} only, for a dashboard that should look and not touch;
 *   <li>{@code data-token}: {@code data} only, for an application (the demo's client uses it);
 *   <li>{@code node-token}: {@code operate}, which the nodes show each other (the controller's status polls and
 *       restarts);
 *   <li>{@code credentials}: the four lines the nodes check, with hashes only.
 * </ul>
 *
 * Every file is readable by its owner only, from the moment it exists. A directory made before credentials existed
 * keeps its {@code token} as the operator's.
 */
record LocalCredentials(Path credentialsFile, String operatorToken, String readToken, String dataToken, Path nodeTokenFile) {

    static final String CREDENTIALS_FILE = "credentials";
    static final String OPERATOR_TOKEN_FILE = "token";
    static final String READ_TOKEN_FILE = "read-token";
    static final String DATA_TOKEN_FILE = "data-token";
    static final String NODE_TOKEN_FILE = "node-token";

    /** The credentials in {@code directory}, made first if it has none. */
    static LocalCredentials createOrRead(Path directory) throws IOException {
        SecureRandom random = new SecureRandom();
        String operator = tokenIn(directory.resolve(OPERATOR_TOKEN_FILE), random);
        String reader = tokenIn(directory.resolve(READ_TOKEN_FILE), random);
        String data = tokenIn(directory.resolve(DATA_TOKEN_FILE), random);
        String node = tokenIn(directory.resolve(NODE_TOKEN_FILE), random);
        Path file = directory.resolve(CREDENTIALS_FILE);
        if (!Files.exists(file)) {
            List<Credential> credentials = new ArrayList<>();
            credentials.add(credential("operator", EnumSet.of(Scope.ADMIN, Scope.DATA), operator, random));
            credentials.add(credential("reader", EnumSet.of(Scope.READ), reader, random));
            credentials.add(credential("app", EnumSet.of(Scope.DATA), data, random));
            credentials.add(credential("node", EnumSet.of(Scope.OPERATE), node, random));
            StringBuilder text = new StringBuilder("# Made by 'sluice local': NAME SCOPES HASH, one credential per line (docs/security.md).\n"
                    + "# The tokens are in the files beside this one: token (operator), read-token, data-token, node-token.\n");
            credentials.forEach(credential -> text.append(credential.line()).append('\n'));
            writePrivate(file, text.toString());
        }
        return new LocalCredentials(file, operator, reader, data, directory.resolve(NODE_TOKEN_FILE));
    }

    private static Credential credential(String name, Set<Scope> scopes, String token, SecureRandom random) {
        return new Credential(CredentialName.of(name), scopes, TokenHash.of(token, random));
    }

    /** The token in {@code file}, after writing a fresh one if there is none. */
    private static String tokenIn(Path file, SecureRandom random) throws IOException {
        if (!Files.exists(file)) {
            writePrivate(file, TokenHash.newToken(random) + "\n");
        }
        String token = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (token.isEmpty()) {
            throw new CliException(CliException.FAILED, file + " is empty: delete it, and " + CREDENTIALS_FILE + " beside it, to get new tokens");
        }
        return token;
    }

    /**
     * Creates {@code file} readable and writable by its owner only and writes {@code text}: created with those
     * permissions rather than restricted afterwards, so no other user can open it in between.
     */
    static void writePrivate(Path file, String text) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        } catch (FileAlreadyExistsException exists) {
            throw new CliException(CliException.FAILED, file + " already exists; it is not overwritten");
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
