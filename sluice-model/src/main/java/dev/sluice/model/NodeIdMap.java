package dev.sluice.model;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A map from node ids held in an array indexed by the id's number, iterated in id order; it holds no null value.
 *
 * <p>For the same reason as {@link NodeIdSet}: the controller looks up every worker's last answer every pass, and at
 * 10,000 workers a hash map's lookups missed the cache several times each. Ids from {@link NodeIdSet#DENSE_LIMIT} on go
 * to a tree map beside the array.
 */
public final class NodeIdMap<V> extends AbstractMap<NodeId, V> {

    private Object[] values = new Object[16];
    private int size;
    /** The entries of ids from {@link NodeIdSet#DENSE_LIMIT} on; null while there is none. */
    private TreeMap<NodeId, V> sparse;
    private int modifications;
    private Set<Entry<NodeId, V>> entries;

    @Override
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        if (!(key instanceof NodeId id)) {
            return null;
        }
        int value = id.value();
        if (value >= NodeIdSet.DENSE_LIMIT) {
            return sparse == null ? null : sparse.get(id);
        }
        return value < values.length ? (V) values[value] : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public V put(NodeId key, V value) {
        Objects.requireNonNull(value, "value");
        int index = key.value();
        V before;
        if (index >= NodeIdSet.DENSE_LIMIT) {
            if (sparse == null) {
                sparse = new TreeMap<>();
            }
            before = sparse.put(key, value);
        } else {
            if (index >= values.length) {
                values = Arrays.copyOf(values, Math.max(index + 1, values.length * 2));
            }
            before = (V) values[index];
            values[index] = value;
        }
        if (before == null) {
            size++;
            modifications++;
        }
        return before;
    }

    @Override
    @SuppressWarnings("unchecked")
    public V remove(Object key) {
        if (!(key instanceof NodeId id)) {
            return null;
        }
        int index = id.value();
        V before;
        if (index >= NodeIdSet.DENSE_LIMIT) {
            before = sparse == null ? null : sparse.remove(id);
        } else if (index < values.length) {
            before = (V) values[index];
            values[index] = null;
        } else {
            before = null;
        }
        if (before != null) {
            size--;
            modifications++;
        }
        return before;
    }

    @Override
    public void clear() {
        Arrays.fill(values, null);
        sparse = null;
        size = 0;
        modifications++;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Set<Entry<NodeId, V>> entrySet() {
        if (entries == null) {
            entries = new AbstractSet<>() {
                @Override
                public Iterator<Entry<NodeId, V>> iterator() {
                    return new Entries();
                }

                @Override
                public int size() {
                    return size;
                }
            };
        }
        return entries;
    }

    /** Walks the array's entries, then the sparse ones; an entry's {@code setValue} writes through. */
    private final class Entries implements Iterator<Entry<NodeId, V>> {
        private int next;
        private Iterator<Entry<NodeId, V>> sparseEntries;
        private NodeId last;
        private int expected = modifications;

        @Override
        public boolean hasNext() {
            return nextIndex() < values.length || sparseEntries().hasNext();
        }

        @Override
        public Entry<NodeId, V> next() {
            if (expected != modifications) {
                throw new ConcurrentModificationException();
            }
            int index = nextIndex();
            if (index < values.length) {
                next = index + 1;
                last = NodeId.of(index);
                return new ArrayEntry(last);
            }
            if (!sparseEntries().hasNext()) {
                throw new NoSuchElementException();
            }
            Entry<NodeId, V> entry = sparseEntries.next();
            last = entry.getKey();
            return entry;
        }

        @Override
        public void remove() {
            if (last == null) {
                throw new IllegalStateException();
            }
            if (last.value() >= NodeIdSet.DENSE_LIMIT) {
                sparseEntries.remove();
                size--;
                modifications++;
            } else {
                NodeIdMap.this.remove(last);
            }
            expected = modifications;
            last = null;
        }

        private int nextIndex() {
            int index = next;
            while (index < values.length && values[index] == null) {
                index++;
            }
            next = index;
            return index;
        }

        private Iterator<Entry<NodeId, V>> sparseEntries() {
            if (sparseEntries == null) {
                sparseEntries = sparse == null ? java.util.Collections.emptyIterator() : sparse.entrySet().iterator();
            }
            return sparseEntries;
        }
    }

    private final class ArrayEntry implements Map.Entry<NodeId, V> {
        private final NodeId key;

        ArrayEntry(NodeId key) {
            this.key = key;
        }

        @Override
        public NodeId getKey() {
            return key;
        }

        @Override
        @SuppressWarnings("unchecked")
        public V getValue() {
            V value = (V) values[key.value()];
            if (value == null) {
                throw new IllegalStateException(key + " was removed from the map");
            }
            return value;
        }

        @Override
        public V setValue(V value) {
            V before = getValue();
            values[key.value()] = Objects.requireNonNull(value, "value");
            return before;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Map.Entry<?, ?> other && key.equals(other.getKey()) && getValue().equals(other.getValue());
        }

        @Override
        public int hashCode() {
            return key.hashCode() ^ getValue().hashCode();
        }

        @Override
        public String toString() {
            return key + "=" + getValue();
        }
    }
}
