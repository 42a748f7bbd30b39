package dev.configmanager.wire;

/**
 * The front end a request came through. It is stored with every version and audit line, so its names are part of the
 * database: never rename one.
 */
public enum RequestOrigin {
    MQTT,
    HTTP
}
