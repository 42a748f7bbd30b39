package dev.configmanager.pipeline;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ErrorCode;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The pipeline's counters and timers in HiveMQ's registry, so the Prometheus extension exports them. */
final class PipelineMetrics {

    static final String PREFIX = "dev.configmanager.";

    private final Counter accepted;
    private final Counter noop;
    private final Counter duplicates;
    private final Map<ErrorCode, Counter> rejected = new EnumMap<>(ErrorCode.class);
    private final Timer commit;
    private final Histogram batchSize;

    PipelineMetrics(final MetricRegistry registry) {
        accepted = registry.counter(PREFIX + "requests.accepted");
        noop = registry.counter(PREFIX + "requests.noop");
        duplicates = registry.counter(PREFIX + "requests.duplicate");
        for (final ErrorCode code : ErrorCode.values()) {
            rejected.put(code, registry.counter(PREFIX + "requests.rejected." + code.wire()));
        }
        commit = registry.timer(PREFIX + "store.commit");
        batchSize = registry.histogram(PREFIX + "store.commit.batch-size");
    }

    void result(final ConfigResult result) {
        if (result instanceof ConfigResult.Accepted a) {
            (a.noop() ? noop : accepted).inc();
        } else {
            rejected.get(((ConfigResult.Rejected) result).code()).inc();
        }
    }

    void duplicate() {
        duplicates.inc();
    }

    void committed(final int requests, final long nanos) {
        commit.update(nanos, TimeUnit.NANOSECONDS);
        batchSize.update(requests);
    }
}
