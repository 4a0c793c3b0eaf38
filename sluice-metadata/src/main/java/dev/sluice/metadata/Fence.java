package dev.sluice.metadata;

/**
 * A condition attached to a write so that only the current holder of some role can make it: the write
 * applies only while {@code key} is still at {@code version}. The controller fences its writes with its
 * election epoch, so a deposed controller cannot overwrite its successor's decisions.
 */
public record Fence(String key, long version) {

    public Op asOp() {
        return Op.check(key, version);
    }

    /** The write was refused because the fence moved: the writer no longer holds its role. */
    public static final class LostException extends MetadataException {
        public LostException(Fence fence) {
            super("write refused: fence '" + fence.key() + "' moved past v" + fence.version() + " (another process took over)");
        }
    }
}
