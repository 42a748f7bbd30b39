package dev.configmanager.config;

import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.ReadScope;
import dev.configmanager.config.TopicLayout.RequestTopic;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("unit")
class TopicLayoutTest {

    private final TopicLayout topics = new TopicLayout("config", "config/updated", "config/result");

    @Test
    void requestTopicsNameTheirActionAndService() {
        assertEquals(Optional.of(new RequestTopic(Action.SET, "router")), topics.parseRequest("config/set/router"));
        assertEquals(
                Optional.of(new RequestTopic(Action.UNKNOWN, "router")),
                topics.parseRequest("config/frobnicate/router"),
                "an unknown action is still a request, refused");
        assertEquals(
                Optional.of(new RequestTopic(Action.SET, "a/b")),
                topics.parseRequest("config/set/a/b"),
                "extra levels stay in the service, where the service-name check refuses them");
    }

    @Test
    void theExtensionsOwnTopicsAreNotRequests() {
        assertEquals(Optional.empty(), topics.parseRequest("config/updated/router"));
        assertEquals(Optional.empty(), topics.parseRequest("config/result/router"));
        assertEquals(Optional.empty(), topics.parseRequest("configuration/set/router"), "a prefix is whole levels");
    }

    @Test
    void reportsAreNotRequestsAndNameTheirService() {
        assertEquals(Optional.empty(), topics.parseRequest("config/applied/router"));
        assertEquals(Optional.of("router"), topics.appliedService("config/applied/router"));
        assertEquals(Optional.of("a/b"), topics.appliedService("config/applied/a/b"), "checked as a service later");
        assertEquals(Optional.of(""), topics.appliedService("config/applied"));
        assertEquals(Optional.empty(), topics.appliedService("config/set/router"));
        assertEquals(Optional.empty(), topics.appliedService("config/appliedx/router"));
        assertTrue(
                new TopicLayout("config", "config/applied", "config/result")
                        .conflict()
                        .isPresent(),
                "the updated topics cannot lie where reports are read");
    }

    @Test
    void aFilterReadsOneServiceOrAllOrNone() {
        assertEquals(new ReadScope.Service("router"), topics.readScope("config/updated/router"));
        assertEquals(new ReadScope.All(), topics.readScope("config/updated/+"));
        assertEquals(new ReadScope.All(), topics.readScope("config/#"));
        assertEquals(new ReadScope.All(), topics.readScope("#"));
        assertEquals(new ReadScope.All(), topics.readScope("$share/g/config/+/+"));
        assertEquals(new ReadScope.None(), topics.readScope("config/updated/router/extra"));
        assertEquals(new ReadScope.None(), topics.readScope("system/health/+"));
    }

    @Test
    void prefixesThatOverlapAreAConflict() {
        assertTrue(new TopicLayout("config", "config/set", "config/result")
                .conflict()
                .isPresent());
        assertTrue(topics.conflict().isEmpty());
    }
}
