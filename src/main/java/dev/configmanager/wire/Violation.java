package dev.configmanager.wire;

/**
 * One reason a request was rejected.
 *
 * @param path JSON Pointer into the request's config (or body), {@code ""} for the whole document
 */
public record Violation(String path, String message) {}
