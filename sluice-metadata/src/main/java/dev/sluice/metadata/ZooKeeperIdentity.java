package dev.sluice.metadata;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.curator.framework.AuthInfo;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/**
 * The identity a cluster's processes present to ZooKeeper: the {@code digest} scheme, one user name (the
 * cluster's name) and one or two secrets read from a file. A client with this identity authenticates with
 * every secret, and the ACL it gives the nodes it creates grants all permissions to the digest of every
 * secret, so that during a rotation (file holding the new and the old secret) processes with either file
 * can use every node (docs/security.md, "ZooKeeper").
 *
 * <p>The secrets never leave this object except as the authentication bytes handed to the ZooKeeper
 * client and as their one-way digests in ACLs; {@link #toString()} and every message name the file, not
 * its content.
 */
public final class ZooKeeperIdentity {

    /** The ZooKeeper authentication scheme: a user name and password, matched by their SHA-1 digest. */
    public static final String SCHEME = "digest";
    /** The current secret and, during a rotation, one more; more would only widen who may write. */
    public static final int MAX_SECRETS = 2;
    /**
     * Shorter secrets are refused: the digest in an ACL is one unsalted SHA-1, so a guessable secret would be
     * found by anyone who gets to read an ACL with its digest (ZooKeeper shows digests to ADMIN holders only).
     */
    public static final int MIN_SECRET_CHARS = 16;
    /** A secret file is a line or two; anything larger is the wrong file. */
    public static final long MAX_FILE_BYTES = 4096;

    private final String user;
    private final List<String> secrets;
    private final Path source;

    private ZooKeeperIdentity(String user, List<String> secrets, Path source) {
        this.user = user;
        this.secrets = List.copyOf(secrets);
        this.source = source;
    }

    /**
     * Reads the identity of user {@code user} from {@code secretFile}: one secret per non-blank line (surrounding
     * white space ignored), the current secret first, at most {@link #MAX_SECRETS}.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it (never its content) if it is
     *     missing, unreadable, empty, too large, not UTF-8, has too many lines or a secret that is too short, or
     *     if {@code user} is not a valid digest user name
     */
    public static ZooKeeperIdentity fromSecretFile(String user, Path secretFile) {
        Objects.requireNonNull(secretFile, "secretFile");
        requireValidUser(user);
        String content;
        try {
            if (!Files.isRegularFile(secretFile)) {
                throw new IllegalArgumentException(Files.exists(secretFile) ? "the ZooKeeper secret file " + secretFile + " is not a regular file"
                        : "the ZooKeeper secret file " + secretFile + " does not exist");
            }
            long size = Files.size(secretFile);
            if (size > MAX_FILE_BYTES) {
                throw new IllegalArgumentException("the ZooKeeper secret file " + secretFile + " holds " + size + " bytes; a secret file holds a line or two (at most "
                        + MAX_FILE_BYTES + " bytes)");
            }
            content = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(secretFile))).toString();
        } catch (CharacterCodingException notText) {
            throw new IllegalArgumentException("the ZooKeeper secret file " + secretFile + " is not UTF-8 text");
        } catch (IOException unreadable) {
            // The exception's own message is the path and the reason (no content): say it in our words.
            throw new IllegalArgumentException("cannot read the ZooKeeper secret file " + secretFile + " (" + unreadable.getClass().getSimpleName() + ")");
        }
        List<String> secrets = new ArrayList<>();
        for (String line : content.split("\n")) {
            String secret = line.strip();
            if (secret.isEmpty()) {
                continue;
            }
            if (secret.length() < MIN_SECRET_CHARS) {
                throw new IllegalArgumentException("the ZooKeeper secret file " + secretFile + " has a secret of " + secret.length() + " characters on line "
                        + (secrets.size() + 1) + "; a secret needs at least " + MIN_SECRET_CHARS + " (sluice local writes 64 random hex digits)");
            }
            secrets.add(secret);
        }
        if (secrets.isEmpty()) {
            throw new IllegalArgumentException("the ZooKeeper secret file " + secretFile + " is empty; it holds the cluster's secret on its first line");
        }
        if (secrets.size() > MAX_SECRETS) {
            throw new IllegalArgumentException("the ZooKeeper secret file " + secretFile + " holds " + secrets.size() + " secrets; at most " + MAX_SECRETS
                    + " (the current one, and the previous one during a rotation)");
        }
        return new ZooKeeperIdentity(user, secrets, secretFile.toAbsolutePath());
    }

    private static void requireValidUser(String user) {
        if (user == null || user.isEmpty() || user.contains(":") || user.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("a ZooKeeper digest user is a non-empty name without ':' or spaces, got '" + user + "'");
        }
    }

    /** The user name of the digest identity: the cluster's name. */
    public String user() {
        return user;
    }

    /** The file the secrets came from. */
    public Path source() {
        return source;
    }

    /** How many secrets the file holds: 1, or 2 during a rotation. */
    public int secretCount() {
        return secrets.size();
    }

    /** What the ZooKeeper client sends to authenticate: one digest credential per secret. */
    List<AuthInfo> authentication() {
        return secrets.stream().map(secret -> new AuthInfo(SCHEME, (user + ":" + secret).getBytes(StandardCharsets.UTF_8))).toList();
    }

    /** The ACL of every node of the cluster's tree: all permissions for each secret's digest, nothing for anyone else. */
    public List<ACL> acl() {
        return aclList(ids().stream().map(id -> new ACL(ZooDefs.Perms.ALL, id)).toList());
    }

    /**
     * {@code acl} as a list ZooKeeper accepts: its client asks every ACL list whether it contains {@code null},
     * which {@code List.of} and {@code List.copyOf} answer with a NullPointerException.
     */
    static List<ACL> aclList(List<ACL> acl) {
        return java.util.Collections.unmodifiableList(new ArrayList<>(acl));
    }

    /** The ZooKeeper ids ({@code digest:user:base64(sha1(user:secret))}) this identity authenticates as. */
    List<Id> ids() {
        List<Id> ids = new ArrayList<>();
        for (String secret : secrets) {
            try {
                ids.add(new Id(SCHEME, DigestAuthenticationProvider.generateDigest(user + ":" + secret)));
            } catch (NoSuchAlgorithmException noSha1) {
                throw new IllegalStateException("BUG: the JVM has no SHA-1, which every Java platform must provide", noSha1);
            }
        }
        return List.copyOf(ids);
    }

    @Override
    public String toString() {
        return "digest user '" + user + "' (" + secrets.size() + (secrets.size() == 1 ? " secret" : " secrets") + " from " + source + ")";
    }
}
