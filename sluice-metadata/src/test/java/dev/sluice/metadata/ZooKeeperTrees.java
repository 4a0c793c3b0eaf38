package dev.sluice.metadata;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;

/** What tests of ZooKeeper access control read of a tree, for this module's tests and the whole-cluster ones. */
public final class ZooKeeperTrees {

    private ZooKeeperTrees() {}

    /** Every node at and under {@code root} with its ACL, as {@code client} reads them. */
    public static Map<String, List<ACL>> aclsUnder(CuratorFramework client, String root) throws Exception {
        Map<String, List<ACL>> acls = new LinkedHashMap<>();
        Deque<String> pending = new ArrayDeque<>(List.of(root));
        while (!pending.isEmpty()) {
            String path = pending.poll();
            try {
                acls.put(path, client.getACL().forPath(path));
                client.getChildren().forPath(path).forEach(child -> pending.add(ZKPaths.makePath(path, child)));
            } catch (KeeperException.NoNodeException gone) {
                // Deleted while walking: a trimmed log entry, a replaced election node.
            }
        }
        return acls;
    }
}
