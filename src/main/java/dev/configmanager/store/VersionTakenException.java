package dev.configmanager.store;

/**
 * Another writer on the same database (another broker) stored one of the version numbers this commit claims, first:
 * nothing of the commit was kept. Its decisions rest on a current version that is no longer current; decided again
 * on what is stored now, the same requests may well succeed. The database's key on (service, version) is what makes
 * "one winner per version" hold across brokers; no broker's memory is trusted for it.
 */
public final class VersionTakenException extends WriteRefusedException {

    public VersionTakenException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
