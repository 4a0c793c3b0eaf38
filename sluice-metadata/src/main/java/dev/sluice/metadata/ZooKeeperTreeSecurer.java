package dev.sluice.metadata;

import dev.sluice.model.Durations;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

/**
 * Secures the tree of a cluster that was created open: gives the root and every node under it the ACL of the
 * cluster's {@link ZooKeeperIdentity}, so that only processes holding the secret can read or change it.
 *
 * <p>Safe while the cluster runs, provided every process of the cluster already uses the secret (an
 * authenticated client can still use open nodes, so restarting them with it first changes nothing for them;
 * securing first would lock out those that do not have it). It checks what it can of that before changing
 * anything: every ephemeral node under the root — each running process's liveness entry and election nodes —
 * must carry the identity's ACL, which only a process authenticated with this very secret file gives them.
 *
 * <p>Idempotent: nodes that already carry the ACL are left alone, so a rerun changes nothing and an interrupted
 * run can simply be run again. Nodes created while it walks are created by processes with the secret, so carry
 * the ACL already. Parents of the root ({@code /sluice}) are left as they are: other clusters on the ensemble may
 * share them.
 */
public final class ZooKeeperTreeSecurer {

    /** A walk stops beyond this many nodes; a Sluice cluster's tree (logs trimmed, one placement per partition) is far smaller. */
    public static final int MAX_NODES = 2_000_000;
    /** How many offending paths a refusal lists; the count covers the rest. */
    static final int MAX_PATHS_SHOWN = 10;
    private static final int RETRIES = 5;

    private ZooKeeperTreeSecurer() {}

    /** What a run did, or why it changed nothing. */
    public sealed interface Outcome {
        /**
         * The tree carries the identity's ACL now (or would, after a dry run).
         *
         * @param nodes the nodes walked, the root included
         * @param changed those whose ACL was (or would be) set; 0 on a rerun
         */
        record Secured(String root, int nodes, int changed, boolean dryRun) implements Outcome {}

        /** Nothing was changed. {@code reason} says why and what to do; {@code paths} are the nodes concerned, if any. */
        record Refused(String reason, List<String> paths) implements Outcome {
            public Refused {
                paths = List.copyOf(paths);
            }
        }
    }

    /**
     * Walks the tree under {@code root} and sets the identity's ACL on every node that lacks it, unless
     * {@code dryRun}.
     *
     * @throws MetadataUnavailableException if ZooKeeper does not answer within {@code connectionTimeout}
     */
    public static Outcome secure(String connectString, String root, ZooKeeperIdentity identity, Duration connectionTimeout, boolean dryRun) {
        ZooKeeperMetadataStore.requireValidRoot(root);
        Objects.requireNonNull(identity, "identity");
        try (CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .connectionTimeoutMs((int) connectionTimeout.toMillis())
                .authorization(identity.authentication())
                .retryPolicy(new BoundedExponentialBackoffRetry(100, 2_000, RETRIES))
                .build()) {
            client.start();
            if (!client.blockUntilConnected((int) connectionTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new MetadataUnavailableException("no ZooKeeper server at " + connectString + " answered within " + Durations.human(connectionTimeout), null);
            }
            return secure(client, root, identity, dryRun);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new MetadataUnavailableException("interrupted while securing " + root, interrupted);
        } catch (KeeperException.ConnectionLossException | KeeperException.SessionExpiredException lost) {
            throw new MetadataUnavailableException("lost ZooKeeper at " + connectString + " while securing " + root + "; nothing is half-done that a rerun"
                    + " does not finish: run it again", lost);
        } catch (MetadataException | IllegalArgumentException passThrough) {
            throw passThrough;
        } catch (Exception failed) {
            throw new MetadataException("securing " + root + " failed: " + failed + "; run it again to finish", failed);
        }
    }

    private record Found(String path, List<ACL> acl, boolean ephemeral) {}

    private static Outcome secure(CuratorFramework client, String root, ZooKeeperIdentity identity, boolean dryRun) throws Exception {
        HashSet<ACL> wanted = new HashSet<>(identity.acl());
        List<Found> found = new ArrayList<>();
        List<String> foreign = new ArrayList<>();
        Deque<String> pending = new ArrayDeque<>(List.of(root));
        // Breadth first, so parents come before their children and the ACLs below are set top-down.
        while (!pending.isEmpty()) {
            if (found.size() >= MAX_NODES) {
                return new Outcome.Refused(root + " holds more than " + MAX_NODES + " nodes, more than any Sluice cluster writes: is the root right?", List.of());
            }
            String path = pending.poll();
            Stat stat = new Stat();
            List<ACL> acl;
            try {
                acl = client.getACL().storingStatIn(stat).forPath(path);
            } catch (KeeperException.NoNodeException gone) {
                if (path.equals(root)) {
                    return new Outcome.Refused("there is no cluster at " + root + ": is the cluster name right?", List.of(root));
                }
                continue;
            } catch (KeeperException.NoAuthException denied) {
                if (path.equals(root)) {
                    return new Outcome.Refused("ZooKeeper refuses " + identity + " access to " + root
                            + ": the tree is secured with another secret. Use the secret file the cluster's nodes use", List.of(root));
                }
                foreign.add(path);
                continue;
            }
            found.add(new Found(path, acl, stat.getEphemeralOwner() != 0));
            try {
                for (String child : client.getChildren().forPath(path)) {
                    pending.add(ZKPaths.makePath(path, child));
                }
            } catch (KeeperException.NoNodeException gone) {
                // Deleted since its ACL was read; so are its children.
            } catch (KeeperException.NoAuthException denied) {
                foreign.add(path);
            }
        }
        if (!foreign.isEmpty()) {
            return new Outcome.Refused(foreign.size() + " node(s) under " + root + " grant another identity and not " + identity
                    + ": a process with another secret made them. Check that every node of the cluster uses the same secret file", shown(foreign));
        }
        List<String> openEphemerals = found.stream().filter(node -> node.ephemeral() && !new HashSet<>(node.acl()).equals(wanted)).map(Found::path).toList();
        if (!openEphemerals.isEmpty()) {
            return new Outcome.Refused(openEphemerals.size() + " live node(s) under " + root + " belong to ZooKeeper sessions that do not use this secret file"
                    + " (processes started without --zookeeper-secret-file, or with another one); securing now would lock them out. Restart every node of the"
                    + " cluster with the secret file first (a crashed process's entries go after its session timeout), then run this again", shown(openEphemerals));
        }
        int changed = 0;
        for (Found node : found) {
            if (new HashSet<>(node.acl()).equals(wanted)) {
                continue;
            }
            if (!dryRun) {
                try {
                    client.setACL().withACL(identity.acl()).forPath(node.path());
                } catch (KeeperException.NoNodeException gone) {
                    continue;
                }
            }
            changed++;
        }
        return new Outcome.Secured(root, found.size(), changed, dryRun);
    }

    private static List<String> shown(List<String> paths) {
        return paths.subList(0, Math.min(paths.size(), MAX_PATHS_SHOWN));
    }

    /** Whether {@code acl} gives {@code world:anyone} any permission. */
    static boolean isOpen(List<ACL> acl) {
        return acl.stream().anyMatch(entry -> entry.getId().equals(ZooDefs.Ids.ANYONE_ID_UNSAFE) && entry.getPerms() != 0);
    }
}
