package dev.configmanager.store;

/** Told when the store starts or stops working, as seen by the writes that use it. */
public interface StoreStatusListener {
    void storeAvailable();

    void storeUnavailable(String reason);
}
