package dev.configmanager.store;

/**
 * Another broker on the same database answered one of this commit's request ids first: nothing of the commit was kept.
 * Decided again, that request is answered with the stored answer ({@link ConfigStore#answered}) and never applied
 * twice; the others of the commit go on.
 */
public final class RequestAnsweredException extends WriteRefusedException {

    public RequestAnsweredException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
