package dev.configmanager.config;

/**
 * A PostgreSQL database that several brokers share ({@code <database><url>}); without one, the store is the embedded
 * H2 file at {@code <database><path>}.
 *
 * @param url      {@code jdbc:postgresql://host:port/database}
 * @param password never logged: {@link #toString()} leaves it out
 */
public record SharedDatabase(String url, String username, String password) {

    @Override
    public String toString() {
        return "SharedDatabase[url=" + url + ", username=" + username + ", password=(hidden)]";
    }
}
