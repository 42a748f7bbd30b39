package dev.configmanager.mqtt;

import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One request never fails another client's write: what the limits admit fits the store (sealed secrets included),
 * and a batch the database refuses because of one request is committed again without it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class WriteIsolationTest {

    @RegisterExtension
    static final BrokerExtension broker =
            BrokerExtension.withSettings("<limits><max-payload-bytes>1048576</max-payload-bytes></limits>");

    @Test
    void aSecretThatWouldNotFitOnceSealedIsTooLargeAndOthersWriteOn() throws Exception {
        try (Requester big = new Requester(broker.port(), "big-writer");
                Requester other = new Requester(broker.port(), "other-writer")) {
            // 900,000 characters fit the limit in clear; sealed (base64 plus its wrapper) they would not fit the column
            final Reply tooLarge = big.send(
                    "set", "llm-worker", "{\"config\": {\"openai_api_key\": \"" + "k".repeat(900_000) + "\"}}");
            assertEquals("too_large", tooLarge.errorCode(), tooLarge.envelope().toString());
            assertTrue(
                    other.send("set", "svc-other", "{\"config\": {\"a\": 1}}").accepted(), "not store_unavailable");
        }
        assertTrue(
                RetainedReader.await("system/health/config-manager", h -> true)
                        .path("data")
                        .path("ok")
                        .asBoolean(),
                "the extension's health never said the store was down");
    }

    @Test
    void aBatchTheDatabaseRefusesForOneRequestIsCommittedWithoutIt() throws Exception {
        // The database refuses long "updated_by" values from here on: the stand-in for any row it cannot hold.
        try (Connection db = broker.openDatabase()) {
            for (final String table : new String[] {"cm_history", "cm_current"}) {
                db.createStatement()
                        .execute("ALTER TABLE " + table + " ALTER COLUMN updated_by SET DATA TYPE " + "VARCHAR(20)");
            }
        }
        final ExecutorService pool = Executors.newFixedThreadPool(17);
        try {
            for (int round = 0; round < 3; round++) {
                final List<Future<Reply>> shortOnes = new ArrayList<>();
                final int r = round;
                final Future<Reply> longOne = pool.submit(write("a-client-with-a-long-id", "svc-long", r));
                for (int i = 0; i < 16; i++) {
                    shortOnes.add(pool.submit(write("c" + i, "svc-iso-" + i, r)));
                }
                for (final Future<Reply> f : shortOnes) {
                    final Reply reply = f.get(60, TimeUnit.SECONDS);
                    assertTrue(reply.accepted(), "round " + r + ": " + reply.envelope());
                }
                final Reply refused = longOne.get(60, TimeUnit.SECONDS);
                assertEquals("internal", refused.errorCode(), refused.envelope().toString());
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(RetainedReader.stored("config/updated/svc-long").isEmpty(), "nothing of it was stored");
        assertEquals(
                3,
                RetainedReader.receiveJson(broker.port(), "config/updated/svc-iso-0")
                        .get("version")
                        .asLong());
        assertTrue(
                RetainedReader.await("system/health/config-manager", h -> true)
                        .path("data")
                        .path("ok")
                        .asBoolean(),
                "a refused row is not a store outage");
    }

    private static Callable<Reply> write(final String clientId, final String service, final int round) {
        return () -> {
            try (Requester requester = new Requester(broker.port(), clientId)) {
                return requester.send("set", service, "{\"config\": {\"round\": " + round + "}}");
            }
        };
    }
}
