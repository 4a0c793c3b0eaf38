package dev.sluice.metadata;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

/**
 * How a metadata store reaches ZooKeeper and what ACL it gives the nodes it creates.
 */
public sealed interface ZooKeeperAccess {

    /** No credentials; nodes are created readable and writable by anyone who reaches the ensemble. */
    Open OPEN = new Open();

    static ZooKeeperAccess secured(ZooKeeperIdentity identity) {
        return new Secured(identity);
    }

    /** The ACL of a node at or under the cluster's root. */
    List<ACL> treeAcl();

    /**
     * The ACL of a node this store creates above the cluster's root ({@code /sluice} for {@code /sluice/local}),
     * which other clusters on the same ensemble share.
     */
    List<ACL> parentAcl();

    /**
     * The legacy mode, and the one for a loopback-only trial: {@code world:anyone} may do everything. Any client
     * that reaches ZooKeeper can rewrite the nodes configuration or the placements, bypassing the transition table,
     * the fencing and the audit log.
     */
    record Open() implements ZooKeeperAccess {
        @Override
        public List<ACL> treeAcl() {
            return ZooDefs.Ids.OPEN_ACL_UNSAFE;
        }

        @Override
        public List<ACL> parentAcl() {
            return ZooDefs.Ids.OPEN_ACL_UNSAFE;
        }

        @Override
        public String toString() {
            return "open (no ZooKeeper credentials)";
        }
    }

    /**
     * Authenticated as the cluster's digest identity; every node of the cluster's tree grants all permissions to
     * that identity and none to anyone else — not even READ: the nodes configuration, the placements and the logs
     * describe the cluster's layout and addresses and are no stranger's business, and nothing outside the cluster
     * needs them (operators read them through the admin API, which has its own credentials).
     *
     * <p>Parents of the root that the store creates also grant {@code world:anyone} CREATE, so another cluster on
     * the same ensemble, with its own identity, can create its root beside this one. CREATE lets nobody read,
     * change or delete this cluster's root: deleting a child needs DELETE on the parent, and the root is never
     * empty anyway.
     */
    record Secured(ZooKeeperIdentity identity) implements ZooKeeperAccess {
        public Secured {
            Objects.requireNonNull(identity, "identity");
        }

        @Override
        public List<ACL> treeAcl() {
            return identity.acl();
        }

        @Override
        public List<ACL> parentAcl() {
            List<ACL> acl = new ArrayList<>(identity.acl());
            acl.add(new ACL(ZooDefs.Perms.CREATE, ZooDefs.Ids.ANYONE_ID_UNSAFE));
            return ZooKeeperIdentity.aclList(acl);
        }

        @Override
        public String toString() {
            return "secured as " + identity;
        }
    }
}
