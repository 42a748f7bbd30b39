package dev.configmanager.pipeline;

import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Violation;

import java.util.List;

/** A request found wrong while it is read: carries the rejection its requester gets. Cheap (no stack trace). */
final class RequestRejected extends Exception {

    private final transient Rejected rejection;

    RequestRejected(final Rejected rejection) {
        super(rejection.message(), null, false, false);
        this.rejection = rejection;
    }

    Rejected rejection() {
        return rejection;
    }

    static RequestRejected of(final String service, final ErrorCode code, final String message) {
        return new RequestRejected(Rejected.of(service, code, message));
    }

    /** With the JSON Pointer of the part that is wrong. */
    static RequestRejected of(final String service, final ErrorCode code, final String message, final String path) {
        return new RequestRejected(new Rejected(service, code, message, List.of(new Violation(path, message)), null));
    }
}
