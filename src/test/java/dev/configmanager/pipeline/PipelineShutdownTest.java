package dev.configmanager.pipeline;

import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.store.H2ConfigStore;
import dev.configmanager.store.SqlConfigStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every request offered to the pipeline is answered, also one that arrives while it closes: none is left in a queue
 * no writer will read again. A real H2 store; requests keep coming while the pipeline closes, round after round.
 */
class PipelineShutdownTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void everyRequestOfferedWhileThePipelineClosesIsAnswered() throws Exception {
        for (int round = 0; round < 20; round++) {
            try (SqlConfigStore store = H2ConfigStore.open(dir.resolve("db-" + round + "/cm"), 10_000)) {
                final ConfigPipeline pipeline = Pipelines.on(store);
                final List<CompletableFuture<?>> answers = new CopyOnWriteArrayList<>();
                final AtomicBoolean offering = new AtomicBoolean(true);
                final List<Thread> requesters = List.of(
                        requester(pipeline, answers, offering, 0),
                        requester(pipeline, answers, offering, 1),
                        requester(pipeline, answers, offering, 2));
                requesters.forEach(Thread::start);
                Thread.sleep(30);
                pipeline.close();
                Thread.sleep(30); // they go on offering after the close
                offering.set(false);
                for (final Thread t : requesters) {
                    t.join();
                }
                final CompletableFuture<Void> all = CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new));
                all.get(10, TimeUnit.SECONDS);
                assertTrue(all.isDone(), "round " + round + ": every one of " + answers.size() + " answered");
            }
        }
    }

    private static Thread requester(
            final ConfigPipeline pipeline,
            final List<CompletableFuture<?>> answers,
            final AtomicBoolean offering,
            final int n) {
        return new Thread(() -> {
            int i = 0;
            while (offering.get()) {
                answers.add(pipeline.submitHttp(
                        new RequestTopic(Action.SET, "svc-" + n),
                        ByteBuffer.wrap(("{\"i\": " + i++ + "}").getBytes(StandardCharsets.UTF_8)),
                        null,
                        null,
                        "test"));
            }
        });
    }
}
